"""Applicant pages under /rendez-vous/ (signed-in persons; each page reaches only their own
bookings and offers)."""

from django.urls import path

from appointments import views

app_name = "appointments"

urlpatterns = [
    path("", views.booking_list, name="list"),
    path("prendre/<slug:motive>/", views.book, name="book"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/agenda.ics", views.ics, name="ics"),
    path("<int:pk>/annuler/", views.cancel, name="cancel"),
    path("<int:pk>/deplacer/", views.reschedule, name="reschedule"),
    path("<int:pk>/liste-d-attente/", views.waitlist, name="waitlist"),
    path("propositions/<int:pk>/accepter/", views.offer_accept_view, name="offer_accept"),
    path("propositions/<int:pk>/refuser/", views.offer_decline_view, name="offer_decline"),
]
