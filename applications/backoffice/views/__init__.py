"""Back-office pages of the applications app, one module per unit: the instruction of files
(``instruction``: queue, file, actions, journal), supervision (``supervision``) and the reports
(``reports``: statistics and CSV exports).

StaffSecondFactorMiddleware already keeps out anyone without a staff role and a verified second
factor; every page also asks for its role through the guards below (accounts.decorators, a 403
with the message), and every dossier or export is reached through an access-checked getter (404).
"""

from django.utils.translation import gettext_lazy as _

from accounts.decorators import role_required
from applications.staff import agent_prefecture_ids, supervised_prefecture_ids

#: Pages of the instruction back-office and its reports: agents and supervisors of a prefecture.
instructing_staff_required = role_required(
    agent_prefecture_ids, _("Seuls les agents instructeurs et les chefs de bureau ont accès à cette page."))
#: Supervision pages: supervisors only.
supervisor_required = role_required(
    supervised_prefecture_ids, _("Seuls les chefs de bureau ont accès à cette page."))
