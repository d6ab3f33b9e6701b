"""Accounts without e-mail (issue 12): the address becomes optional, every account gets a login
identifier, and one-time codes (activation letters, SMS resets) are stored hashed.

The identifier is added empty, drawn for each existing account, then made unique: a callable
default on AddField would give every existing row the same value. The drawing is written out here
(same alphabet and shape as ``accounts.models.login_id_new``) rather than imported; the final field
still names ``login_id_new`` as its default, which Django needs to rebuild the model's state.
"""

import secrets

import accounts.models
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _draw() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _i in range(9))
    return f"{symbols[:3]}-{symbols[3:6]}-{symbols[6:]}"


def fill_login_ids(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken: set[str] = set()
    for user in User.objects.filter(login_id__isnull=True).only("pk").iterator():
        login_id = _draw()
        while login_id in taken:
            login_id = _draw()
        taken.add(login_id)
        User.objects.filter(pk=user.pk).update(login_id=login_id)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_accounts_users_roles_audit'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('territory', '0004_fill_demo_site_addresses'),
    ]

    operations = [
        migrations.CreateModel(
            name='OneTimeCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(choices=[('activation', "Code d'activation"), ('sms_reset', 'Code de réinitialisation par SMS')], max_length=12, verbose_name='usage')),
                ('code_hash', models.CharField(max_length=128, verbose_name='empreinte du code')),
                ('status', models.CharField(choices=[('open', 'valable'), ('used', 'utilisé'), ('replaced', 'remplacé'), ('locked', "bloqué après trop d'erreurs")], default='open', max_length=10, verbose_name='état')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='essais erronés')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='créé le')),
                ('expires_at', models.DateTimeField(verbose_name='expire le')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='clos le')),
            ],
            options={
                'verbose_name': 'code à usage unique',
                'verbose_name_plural': 'codes à usage unique',
            },
        ),
        migrations.RemoveConstraint(
            model_name='user',
            name='user_email_unique_ci',
        ),
        migrations.AddField(
            model_name='user',
            name='login_id',
            field=models.CharField(max_length=11, null=True, editable=False, verbose_name='identifiant de connexion'),
        ),
        migrations.RunPython(fill_login_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='user',
            name='login_id',
            field=models.CharField(default=accounts.models.login_id_new, editable=False, help_text="Sert à se connecter, à la place de l'adresse e-mail ou avec elle.", max_length=11, unique=True, verbose_name='identifiant de connexion'),
        ),
        migrations.AddField(
            model_name='user',
            name='origin',
            field=models.CharField(choices=[('sign_up', 'Inscription en ligne'), ('assisted', 'Créé pour la personne par un médiateur ou un agent')], default='sign_up', max_length=10, verbose_name='origine du compte'),
        ),
        migrations.AlterField(
            model_name='user',
            name='email',
            field=models.EmailField(blank=True, max_length=254, null=True, unique=True, verbose_name='adresse e-mail'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), condition=models.Q(('email__isnull', False)), name='user_email_unique_ci'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(('email', ''), _negated=True), name='user_email_null_not_empty'),
        ),
        migrations.AddField(
            model_name='onetimecode',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='créé par'),
        ),
        migrations.AddField(
            model_name='onetimecode',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='one_time_codes', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='onetimecode',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('user', 'purpose'), name='one_time_code_one_open'),
        ),
    ]
