"""Django's, DRF's and django-filter's own messages that users meet, listed so they are translated in Uzbek.

Why this module exists: the interface speaks Uzbek by default, but the messages that come from the libraries
(form and model validation errors, the log-in, password-reset and password-change pages and e-mail, the API's
error responses, the filter forms) are translated only by the libraries' own catalogues, and those lack Uzbek:

* Django's Uzbek catalogues (django/conf/locale/uz, django/contrib/auth/locale/uz, django/contrib/admin/locale/uz)
  leave some of these strings out or empty; only those are listed here (the ones Django translates are left
  to Django);
* Django REST framework ships no Uzbek catalogue at all, and django-filter none either: all of their messages
  users can get back are listed here.

Nothing imports this module at run time. `manage.py makemessages` reads it like any other source file, so each
msgid below lands in the project's own catalogue (locale/<language>/LC_MESSAGES/django.po), where it gets its
Uzbek, Russian and English translation. The project's catalogue (LOCALE_PATHS) takes precedence over the
libraries' ones, so at run time Django's and DRF's own gettext calls find these translations.

The msgids are copied character for character from the installed sources (Django 5.2.19, djangorestframework
3.18.3, django-filter 26.2), placeholders, typographic quotes and double spaces included: a msgid that differs by
one character is never looked up. Plural messages use ngettext_lazy so that the catalogue gets the msgid /
msgid_plural pair the library looks up; DRF's throttling message is looked up as two separate singular msgids,
as DRF itself marks it. None of these messages has a context (Django has no pgettext_noop anyway). After
upgrading one of these libraries, check the list again against its sources and its Uzbek catalogue.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

VENDOR_MESSAGES = (
    # Django forms: form field, model form, formset error messages (django/forms/)
    gettext_noop(
        "ManagementForm data is missing or has been tampered with. Missing fields: %(field_names)s. You may need to file a bug report if the issue persists."  # noqa: E501
    ),
    ngettext_lazy(
        "Please submit at most %(num)d form.",
        "Please submit at most %(num)d forms.",
        1,
    ),
    ngettext_lazy(
        "Please submit at least %(num)d form.",
        "Please submit at least %(num)d forms.",
        1,
    ),
    # Django validators (django/core/validators.py)
    gettext_noop("Enter a valid domain name."),
    gettext_noop("Enter a valid %(protocol)s address."),
    gettext_noop("IPv4"),
    gettext_noop("IPv6"),
    gettext_noop("IPv4 or IPv6"),
    gettext_noop("Ensure this value is a multiple of step size %(limit_value)s."),
    gettext_noop(
        "Ensure this value is a multiple of step size %(limit_value)s, starting from %(offset)s, e.g. %(offset)s, %(valid_value1)s, %(valid_value2)s, and so on."  # noqa: E501
    ),
    # Django model validation: field, unique and constraint errors (django/db/models/)
    gettext_noop("Constraint “%(name)s” is violated."),
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    # Django auth forms: log-in, password reset, password change (django/contrib/auth/forms.py)
    gettext_noop("Old password"),
    # Django auth user model: the log-in form's username label, the username errors (django/contrib/auth/models.py,
    # validators.py)
    gettext_noop("username"),
    gettext_noop("A user with that username already exists."),
    gettext_noop("Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."),
    # Django password validators: errors and the help text under new-password fields
    # (django/contrib/auth/password_validation.py)
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        1,
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        1,
    ),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),
    # Django auth views: page titles (django/contrib/auth/views.py)
    gettext_noop("Logged out"),
    gettext_noop("Password reset"),
    gettext_noop("Password reset sent"),
    gettext_noop("Enter new password"),
    gettext_noop("Password reset unsuccessful"),
    gettext_noop("Password reset complete"),
    gettext_noop("Password change"),
    gettext_noop("Password change successful"),
    # Django registration templates (django/contrib/admin/templates/registration/,
    # django/contrib/auth/templates/registration/password_reset_subject.txt)
    gettext_noop("Password reset on %(site_name)s"),
    gettext_noop("Home"),
    gettext_noop("Thanks for spending some quality time with the web site today."),
    gettext_noop("Log in again"),
    gettext_noop("Your password was changed."),
    gettext_noop("Error:"),
    ngettext_lazy(
        "Please correct the error below.",
        "Please correct the errors below.",
        1,
    ),
    gettext_noop(
        "Please enter your old password, for security’s sake, and then enter your new password twice so we can verify you typed it in correctly."  # noqa: E501
    ),
    gettext_noop("Change my password"),
    gettext_noop("Your password has been set.  You may go ahead and log in now."),
    gettext_noop("Log in"),
    gettext_noop("Password reset confirmation"),
    gettext_noop("Please enter your new password twice so we can verify you typed it in correctly."),
    gettext_noop("New password:"),
    gettext_noop("Confirm password:"),
    gettext_noop(
        "The password reset link was invalid, possibly because it has already been used.  Please request a new password reset."  # noqa: E501
    ),
    gettext_noop(
        "We’ve emailed you instructions for setting your password, if an account exists with the email you entered. You should receive them shortly."  # noqa: E501
    ),
    gettext_noop(
        "If you don’t receive an email, please make sure you’ve entered the address you registered with, and check your spam folder."  # noqa: E501
    ),
    gettext_noop(
        "You're receiving this email because you requested a password reset for your user account at %(site_name)s."  # noqa: E501
    ),
    gettext_noop("Please go to the following page and choose a new password:"),
    gettext_noop("In case you’ve forgotten, you are:"),
    gettext_noop("Thanks for using our site!"),
    gettext_noop("The %(site_name)s team"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we’ll email instructions for setting a new one."  # noqa: E501
    ),
    gettext_noop("Email address:"),
    # Django admin base templates around the password-change pages, which use the admin's
    # registration/password_change_*.html (admin/base.html, base_site.html, color_theme_toggle.html)
    gettext_noop("Skip to main content"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Django site admin"),
    gettext_noop("Django administration"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    # Django CSRF failure page (django/views/csrf.py)
    gettext_noop(
        "You are seeing this message because this HTTPS site requires a “Referer header” to be sent by your web browser, but none was sent. This header is required for security reasons, to ensure that your browser is not being hijacked by third parties."  # noqa: E501
    ),
    # DRF exceptions (rest_framework/exceptions.py)
    gettext_noop("A server error occurred."),
    gettext_noop("Invalid input."),
    gettext_noop("Malformed request."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop("Not found."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("Could not satisfy the request Accept header."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Request was throttled."),
    gettext_noop("Expected available in {wait} second."),
    gettext_noop("Expected available in {wait} seconds."),
    # DRF authentication (rest_framework/authentication.py)
    gettext_noop("Invalid basic header. No credentials provided."),
    gettext_noop("Invalid basic header. Credentials string should not contain spaces."),
    gettext_noop("Invalid basic header. Credentials not correctly base64 encoded."),
    gettext_noop("Invalid username/password."),
    gettext_noop("User inactive or deleted."),
    gettext_noop("Invalid token header. No credentials provided."),
    gettext_noop("Invalid token header. Token string should not contain spaces."),
    gettext_noop("Invalid token header. Token string should not contain invalid characters."),
    gettext_noop("Invalid token."),
    # DRF token log-in (rest_framework/authtoken/serializers.py)
    gettext_noop("Username"),
    gettext_noop("Password"),
    gettext_noop("Token"),
    gettext_noop("Unable to log in with provided credentials."),
    gettext_noop('Must include "username" and "password".'),
    # DRF fields: default_error_messages (rest_framework/fields.py)
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("This value does not match the required pattern."),
    gettext_noop('Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
    gettext_noop('Enter a valid "slug" consisting of Unicode letters, numbers, underscores, or hyphens.'),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Must be a valid UUID."),
    gettext_noop("Enter a valid IPv4 or IPv6 address."),
    gettext_noop("A valid integer is required."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("String value too large."),
    gettext_noop("A valid biginteger is required."),
    gettext_noop("A valid number is required."),
    gettext_noop("Integer value too large to convert to float"),
    gettext_noop("Ensure that there are no more than {max_digits} digits in total."),
    gettext_noop("Ensure that there are no more than {max_decimal_places} decimal places."),
    gettext_noop("Ensure that there are no more than {max_whole_digits} digits before the decimal point."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Datetime value out of range."),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop("Time has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Duration has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("The number of days must be between {min_days} and {max_days}."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("More than {count} items..."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("This selection may not be empty."),
    gettext_noop('"{input}" is not a valid path choice.'),
    gettext_noop("No file was submitted."),
    gettext_noop("The submitted data was not a file. Check the encoding type on the form."),
    gettext_noop("No filename could be determined."),
    gettext_noop("The submitted file is empty."),
    gettext_noop("Ensure this filename has at most {max_length} characters (it has {length})."),
    gettext_noop("Upload a valid image. The file you uploaded was either not an image or a corrupted image."),
    gettext_noop("This list may not be empty."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop('Expected a dictionary of items but got type "{input_type}".'),
    gettext_noop("This dictionary may not be empty."),
    gettext_noop("Value must be valid JSON."),
    # DRF serializers (rest_framework/serializers.py)
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    # DRF relations (rest_framework/relations.py)
    gettext_noop('Invalid pk "{pk_value}" - object does not exist.'),
    gettext_noop("Incorrect type. Expected pk value, received {data_type}."),
    gettext_noop("Invalid hyperlink - No URL match."),
    gettext_noop("Invalid hyperlink - Incorrect URL match."),
    gettext_noop("Invalid hyperlink - Object does not exist."),
    gettext_noop("Incorrect type. Expected URL string, received {data_type}."),
    gettext_noop("Object with {slug_name}={value} does not exist."),
    gettext_noop("Invalid value."),
    # DRF validators: unique, unique together, unique for date (rest_framework/validators.py)
    gettext_noop("This field must be unique."),
    gettext_noop("The fields {field_names} must make a unique set."),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop('This field must be unique for the "{date_field}" date.'),
    gettext_noop('This field must be unique for the "{date_field}" month.'),
    gettext_noop('This field must be unique for the "{date_field}" year.'),
    # DRF pagination errors (rest_framework/pagination.py)
    gettext_noop("Invalid page."),
    gettext_noop("Invalid cursor"),
    # django-filter lookup names, used in generated filter labels (django_filters/conf.py, utils.py)
    gettext_noop("date"),
    gettext_noop("year"),
    gettext_noop("month"),
    gettext_noop("day"),
    gettext_noop("week day"),
    gettext_noop("hour"),
    gettext_noop("minute"),
    gettext_noop("second"),
    gettext_noop("contains"),
    gettext_noop("is in"),
    gettext_noop("is greater than"),
    gettext_noop("is greater than or equal to"),
    gettext_noop("is less than"),
    gettext_noop("is less than or equal to"),
    gettext_noop("starts with"),
    gettext_noop("ends with"),
    gettext_noop("is in range"),
    gettext_noop("is null"),
    gettext_noop("matches regex"),
    gettext_noop("search"),
    gettext_noop("is contained by"),
    gettext_noop("overlaps"),
    gettext_noop("has key"),
    gettext_noop("has keys"),
    gettext_noop("has any keys"),
    gettext_noop("exclude"),
    # django-filter fields and filters (django_filters/fields.py, filters.py)
    gettext_noop("Select a lookup."),
    gettext_noop("Range query expects two values."),
    gettext_noop("Today"),
    gettext_noop("Yesterday"),
    gettext_noop("Past 7 days"),
    gettext_noop("This month"),
    gettext_noop("This year"),
    gettext_noop("Multiple values may be separated by commas."),
    gettext_noop("%s (descending)"),
    gettext_noop("Ordering"),
    # django-filter widgets (django_filters/widgets.py)
    gettext_noop("All"),
    gettext_noop("Unknown"),
    gettext_noop("Yes"),
    gettext_noop("No"),
    # django-filter's filter form in DRF's browsable API (django_filters/rest_framework/)
    gettext_noop("Submit"),
    gettext_noop("Field filters"),
)
