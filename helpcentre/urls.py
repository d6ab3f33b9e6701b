from django.urls import path

from helpcentre import views

app_name = "helpcentre"

# Mounted under /aide/ (anef/urls.py, which also names the home "help" for the links that predate
# the help centre).
urlpatterns = [
    path("", views.home, name="home"),
    path("recherche/", views.search, name="search"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("articles/<slug:slug>/avis/", views.feedback, name="feedback"),
    path("etape/<slug:procedure>/<slug:step>/", views.step, name="step"),
    path("erreur/<slug:code>/", views.error, name="error"),
    path("erreur/<slug:code>/<slug:procedure>/<slug:step>/", views.error, name="error_at_step"),
]
