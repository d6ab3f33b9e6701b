from django.apps import AppConfig


class SubstitutionConfig(AppConfig):
    name = "substitution"

    def ready(self) -> None:
        # appointments/ sits below this app: the desk's day offers the paper intake of a
        # convocation to file on paper through its registry.
        from appointments.registry import DESK_ACTIONS
        from substitution.selectors.intake import desk_intake_actions

        if desk_intake_actions not in DESK_ACTIONS:
            DESK_ACTIONS.append(desk_intake_actions)
