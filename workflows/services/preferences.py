"""A person's own preferences: the interface language, kept on the account so that it follows
them to any browser (applied when they sign in)."""

from django.conf import settings

from circulation.records.errors import InvalidInput
from circulation.records.models import Person


def set_interface_language(person: Person, language: str) -> None:
    """Remember ``language`` (a code of ``settings.LANGUAGES``) as the person's interface
    language. Nothing is written when it is already theirs."""
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(
            f"不支持的界面语言：{language}",
            f"Unsupported interface language: {language}",
            code="invalid_language",
            field="language",
        )
    if person.language == language:
        return
    Person.objects.filter(pk=person.pk).update(language=language)
    person.language = language
