"""The console's forms (Flask-WTF: each POST form carries a CSRF token tied to the session)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from web.console import labels
from worker.channels import names as channel_names
from worker.locales import LOCALES
from worker.resend import MAX_REASON_LENGTH
from worker.store.staff import MAX_PASSWORD_LENGTH, ROLES

LANGUAGE_NAMES = {"es": "Español", "pt": "Português", "en": "English"}


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()


class FindForm(FlaskForm):
    """A GET search: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Delivery id or merchant reference, phone or email"), validators=[DataRequired(), Length(max=254)]
    )


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes (no script needed)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ResendForm(FlaskForm):
    """Channels, an optional corrected destination and a reason; the rules live in worker/resend.py."""

    channels = CheckboxesField(_l("Channels"), choices=[SelectChoice(c, labels.CHANNELS[c]) for c in channel_names()])
    phone = StringField(_l("Corrected phone (optional)"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Corrected email (optional)"), validators=[Optional(), Length(max=254)])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=MAX_REASON_LENGTH)])


class StaffForm(FlaskForm):
    """A new staff account."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r) for r in ROLES])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


class RecipientForm(FlaskForm):
    """A person's phone or email, POSTed so that no contact lands in a URL, a log line or the browser's history."""

    contact = StringField(_l("Phone number or email"), validators=[DataRequired(), Length(max=254)])


class ForgetForm(RecipientForm):
    """The same, and the admin's confirmation that the erasure is meant (it cannot be undone; the view checks it, so
    that a missing tick shows the person's page again with the reason)."""

    confirm = BooleanField(_l("I confirm: erase everything kept about this person (their opt-out stays)"))


class LanguageForm(FlaskForm):
    """The console's language, kept in the session."""

    lang = SelectField(_l("Language"), choices=[SelectChoice(c, LANGUAGE_NAMES[c]) for c in LOCALES])
    next = HiddenField()
