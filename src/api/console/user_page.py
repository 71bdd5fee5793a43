"""Administrators: one user's page, authenticating them by letters of their
security answers (the administrator types what the user reads out), then
resetting their password; changing their last name, removing an alias."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from pydantic import ValidationError
from starlette.responses import Response

from api.console.pages import Errors, Form, error_page, parse_id, redirect, render
from api.console.wording import plain
from api.context import Context
from api.endpoints import reads
from api.endpoints.users import issue_challenge, reissue_one_time_password, reset_password
from api.problems import validation_errors
from api.schemas import ChallengeOut, ChallengePosition, LastNameIn, OriginalAddressIn
from domain.errors import ChallengeNotOpen, ChallengeOutOfTime, DomainError, UserNotFound
from domain.user import SECURITY_QUESTIONS


def show(ctx: Context, form: Form | None, user_id: str) -> Response:
    user = reads.get_user(ctx, parse_id(user_id, UserNotFound))
    return render(ctx, "user.html", title=f"{user.first_name} {user.last_name}", user=user, form=None)


def challenge(ctx: Context, form: Form | None, user_id: str) -> Response:
    """Issues a challenge: which letters of which answers to ask the user for."""
    user = reads.get_user(ctx, parse_id(user_id, UserNotFound))
    prompt = issue_challenge(ctx, user.id)
    return render(ctx, "challenge.html", title="Ask for letters", user=user, prompt=prompt)


def answer(ctx: Context, form: Form | None, user_id: str) -> Response:
    assert form is not None
    user = reads.get_user(ctx, parse_id(user_id, UserNotFound))
    # The positions asked travel with the form (they are no secret), so a
    # mistyped letter is asked again without issuing a new challenge.
    try:
        count = min(int(form.get("count")), 20)
        positions = [ChallengePosition(question=form.get(f"question_{i}"), question_text=SECURITY_QUESTIONS.get(form.get(f"question_{i}"), ""), position=int(form.get(f"position_{i}"))) for i in range(1, count + 1)]
        prompt = ChallengeOut(challenge_id=UUID(form.get("challenge_id")), positions=positions, expires_at=form.get("expires_at"))
    except ValueError:  # pydantic's ValidationError is one too
        return error_page(ctx, 400, "This form cannot be read", "Go back, ask for the letters again and enter them.")
    letters = [form.raw(f"letter_{i}").strip() for i in range(1, count + 1)]
    errors = Errors()
    for i, letter in enumerate(letters, start=1):
        if len(letter) != 1:
            errors.add(f"letter_{i}", f"Enter letter {i} as one letter or digit")
    if errors or not letters:
        return render(ctx, "challenge.html", errors=errors, title="Ask for letters", user=user, prompt=prompt)
    try:
        passed = ctx.app.answer_challenge(ctx.actor, ctx.now, user.id, prompt.challenge_id, letters)
    except ChallengeNotOpen:  # no letters were compared: neither passed nor failed
        return render(ctx, "challenge_result.html", title="This challenge is no longer open", user=user, passed=False, closed="It was already answered, or replaced by a newer one.")
    except ChallengeOutOfTime:
        return render(ctx, "challenge_result.html", title="This challenge is no longer open", user=user, passed=False, closed="The time to answer it has run out.")
    return render(ctx, "challenge_result.html", title="Passed" if passed else "Not passed", user=user, passed=passed, closed="")


def password_reset(ctx: Context, form: Form | None, user_id: str) -> Response:
    user = reads.get_user(ctx, parse_id(user_id, UserNotFound))
    new = reset_password(ctx, user.id)
    return render(ctx, "new_password.html", title="New one-time password", user=user, new=new, letters=new.letters)


def last_name(ctx: Context, form: Form | None, user_id: str) -> Response:
    """Changes the last name (the address may change; the old one stays as an alias)."""
    return _change_address(ctx, form, user_id, LastNameIn, "Enter the new last name", lambda user, value: ctx.app.change_last_name(ctx.actor, ctx.now, user, value))


def original_address(ctx: Context, form: Form | None, user_id: str) -> Response:
    """Changes an smtp or gsc user's original address, and so their secure address."""
    return _change_address(
        ctx, form, user_id, OriginalAddressIn, "Enter the new original address", lambda user, value: ctx.app.change_original_address(ctx.actor, ctx.now, user, value)
    )


def _change_address(ctx: Context, form: Form | None, user_id: str, schema: type[LastNameIn | OriginalAddressIn], missing: str, change: Callable[[UUID, str], str]) -> Response:
    """The new value checked as the API's body is (``schema``, one field), then changed."""
    assert form is not None
    user = reads.get_user(ctx, parse_id(user_id, UserNotFound))
    errors = Errors()
    (field,) = schema.model_fields
    value = form.get(field)
    if not value:
        errors.add(field, missing)
    else:
        try:
            schema.model_validate({field: value})
            address = change(user.id, value)
        except ValidationError as invalid:
            errors.add(field, plain(field, validation_errors(invalid)[0]["message"]))
        except DomainError as error:
            errors.add_domain_error(error, {field: field}, field)
        else:
            return redirect(f"/console/users/{user.id}", f"{field.replace('_', ' ').capitalize()} changed; the address is now {address}")
    return render(ctx, "user.html", errors=errors, title=f"{user.first_name} {user.last_name}", user=user, form=form)  # what was typed, with its error


def remove_alias(ctx: Context, form: Form | None, user_id: str) -> Response:
    """Removes an old address from a user: a confirmation first, then the removal (``confirmed=yes``)."""
    assert form is not None
    user = reads.get_user(ctx, parse_id(user_id, UserNotFound))
    alias = form.get("alias")
    if form.get("confirmed") != "yes":  # the first POST only asks: nothing is removed yet
        here = f"/console/users/{user.id}"
        explanation = [f"Mail sent to {alias} will no longer reach {user.first_name} {user.last_name}. Their address {user.address} does not change.", "A removed alias cannot be added back here."]
        return render(ctx, "confirm_action.html", title=f"Remove the alias {alias}", heading=f"Remove the alias {alias}?", explanation=explanation, action=f"{here}/aliases/remove", hidden=[("alias", alias)], button="Remove alias", cancel=here)
    ctx.app.remove_alias(ctx.actor, ctx.now, user.id, alias)
    return redirect(f"/console/users/{user.id}", f"Alias {alias} removed")



def reissue(ctx: Context, form: Form | None, user_id: str) -> Response:
    """A new one-time password and letter for a user who never activated."""
    user = reads.get_user(ctx, parse_id(user_id, UserNotFound))
    new = reissue_one_time_password(ctx, user.id)
    return render(ctx, "new_password.html", title="New one-time password", user=user, new=new, letters=new.letters)
