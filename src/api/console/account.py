"""Anyone's pages: sign in and out, the home page, first-log-in activation,
own password and security information, and own sessions."""

from __future__ import annotations

import secrets

from starlette.responses import Response

from api.access import clear_session_cookie, open_session, set_session_cookie
from api.console.navigation import MENU
from api.console.pages import ACTIVATE, LOGIN_CSRF_COOKIE, Errors, Form, new_login_csrf, redirect, render
from api.context import Context
from domain.errors import AccountLocked, AccountUnavailable, DomainError, InvalidCredentials, InvalidValue, TooManyLogInAttempts
from domain.user import SECURITY_ANSWERS_REQUIRED, SECURITY_QUESTIONS
from sema.credentials import MIN_PASSWORD_LENGTH, check_new_password

QUESTION_OPTIONS = [("", "Choose a question"), *SECURITY_QUESTIONS.items()]
ANSWER_SLOTS = range(1, SECURITY_ANSWERS_REQUIRED + 1)


def home(ctx: Context, form: Form | None) -> Response:
    assert ctx.principal is not None
    sections = [(label, path) for label, path, roles in MENU[1:] if ctx.principal.role in roles]
    return render(ctx, "home.html", title="Home", sections=sections)


def _client(ctx: Context) -> str | None:
    """The client's address: password guesses are throttled by it as well as by username."""
    return ctx.request.client.host if ctx.request.client else None


def _wait(throttled: TooManyLogInAttempts) -> str:
    return f"Too many failed attempts: wait {throttled.retry_after_s} seconds, then try again"


def sign_in(ctx: Context, form: Form | None) -> Response:
    errors = Errors()
    username = ""
    if form is not None:
        username = form.get("username")
        password = form.raw("password")
        if not username:
            errors.add("username", "Enter your username")
        if not password:
            errors.add("password", "Enter your password")
        if not errors:
            try:
                result = ctx.app.log_in(username, password, ctx.now, request_id=ctx.request_id, client=_client(ctx))
            except TooManyLogInAttempts as throttled:
                errors.add("username", _wait(throttled))
            except AccountLocked:
                errors.add("username", "Your account is locked after too many failed attempts; ask your administrator to unlock it")
            except (InvalidCredentials, AccountUnavailable):
                errors.add("username", "Enter a correct username and password")
            else:
                token, session = open_session(ctx.state, ctx.request, result, ctx.now)
                response = redirect(ACTIVATE if session.must_activate else "/")
                set_session_cookie(response, ctx.state.settings, token)
                response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/")
                return response
    token = ctx.request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(ctx, "sign_in.html", errors=errors, title="Sign in", username=username, csrf_token=token)
    if LOGIN_CSRF_COOKIE not in ctx.request.cookies:
        new_login_csrf(ctx, response, token)
    return response


def sign_out(ctx: Context, form: Form | None) -> Response:
    assert ctx.principal is not None
    ctx.state.sessions.close(ctx.principal.session.token_hash)
    response = redirect("/console/sign-in", "You have signed out")
    clear_session_cookie(response, ctx.state.settings)
    return response


def _answers(form: Form, errors: Errors) -> dict[str, str]:
    """Three (question, answer) pairs from the form; each problem tied to its field."""
    answers: dict[str, str] = {}
    for slot in ANSWER_SLOTS:
        question, answer = form.get(f"question_{slot}"), form.raw(f"answer_{slot}")
        if question not in SECURITY_QUESTIONS:
            errors.add(f"question_{slot}", f"Choose security question {slot}")
        elif question in answers:
            errors.add(f"question_{slot}", f"Choose a different question for question {slot}")
        elif not answer.strip():
            errors.add(f"answer_{slot}", f"Enter the answer to security question {slot}")
        else:
            answers[question] = answer
    return answers


def _answer_fields(form: Form | None) -> dict[str, str]:
    """Service-layer field names → the form's field ids."""
    fields = {"security_answers": "question_1", "new_password": "new_password", "current_password": "current_password"}
    for slot in ANSWER_SLOTS:
        if form is not None and form.get(f"question_{slot}"):
            fields[f"security_answers.{form.get(f'question_{slot}')}"] = f"answer_{slot}"
    return fields


def _new_password(ctx: Context, form: Form, errors: Errors) -> str:
    """The new password, checked by the service's own rule now, so every problem shows at once."""
    assert ctx.principal is not None
    password = form.raw("new_password")
    if not password:
        errors.add("new_password", "Enter a new password")
        return password
    try:
        check_new_password("new_password", password, ctx.app.get_user(ctx.principal.user_id).username)
    except InvalidValue as error:
        errors.add("new_password", f"The new password {error.message.split(': ', 1)[-1]}")
    if password != form.raw("confirm_password"):
        errors.add("confirm_password", "Enter the same password twice")
    return password


def _current_password(form: Form, errors: Errors) -> str:
    """Asked again before a change to what proves who one is."""
    current = form.raw("current_password")
    if not current:
        errors.add("current_password", "Enter your current password")
    return current


def activate(ctx: Context, form: Form | None) -> Response:
    assert ctx.principal is not None
    if not ctx.principal.session.must_activate:
        return redirect("/")
    user = ctx.app.get_user(ctx.principal.user_id)
    needs_answers = user.must_set_security_information
    errors = Errors()
    if form is not None:
        password = _new_password(ctx, form, errors)
        answers = _answers(form, errors) if needs_answers else None
        if not errors:
            try:
                ctx.app.complete_first_log_in(ctx.actor, ctx.now, password, answers)
            except DomainError as error:
                errors.add_domain_error(error, _answer_fields(form), "new_password")
            else:
                ctx.state.sessions.activated(ctx.principal.user_id, ctx.principal.session.token_hash)
                return redirect("/", "Your account is ready: your password and security information are set")
    return render(
        ctx, "activate.html", errors=errors, title="Set up your account", needs_answers=needs_answers, form=form, questions=QUESTION_OPTIONS, slots=ANSWER_SLOTS, min_length=MIN_PASSWORD_LENGTH
    )


def account(ctx: Context, form: Form | None) -> Response:
    assert ctx.principal is not None
    user = ctx.app.get_user(ctx.principal.user_id)
    sessions = ctx.state.sessions.of_user(ctx.principal.user_id)
    return render(ctx, "account.html", title="Your account", user=user, session=ctx.principal.session, sessions=sessions)


def change_password(ctx: Context, form: Form | None) -> Response:
    errors = Errors()
    if form is not None:
        current = _current_password(form, errors)
        password = _new_password(ctx, form, errors)
        if not errors:
            try:
                ctx.app.change_password(ctx.actor, ctx.now, current, password, client=_client(ctx))
            except TooManyLogInAttempts as throttled:
                errors.add("current_password", _wait(throttled))
            except InvalidValue as error:
                errors.add(error.field, "Your current password is not correct" if error.field == "current_password" else f"The new password {error.message.split(': ', 1)[-1]}")
            else:
                assert ctx.principal is not None
                ctx.state.sessions.close_others(ctx.principal.user_id, ctx.principal.session.token_hash)  # a password change ends the others
                return redirect("/console/account", "Your password has been changed")
    return render(ctx, "change_password.html", errors=errors, title="Change your password")


def security_information(ctx: Context, form: Form | None) -> Response:
    errors = Errors()
    if form is not None:
        current = _current_password(form, errors)
        answers = _answers(form, errors)
        if not errors:
            try:
                ctx.app.set_security_information(ctx.actor, ctx.now, current, answers, client=_client(ctx))
            except TooManyLogInAttempts as throttled:
                errors.add("current_password", _wait(throttled))
            except DomainError as error:
                errors.add_domain_error(error, _answer_fields(form), "question_1")
            else:
                return redirect("/console/account", "Your security information has been changed")
    return render(ctx, "security_information.html", errors=errors, title="Change your security information", form=form, questions=QUESTION_OPTIONS, slots=ANSWER_SLOTS)


def end_other_sessions(ctx: Context, form: Form | None) -> Response:
    """Sign out everywhere else: every session of this person but this one ends."""
    assert ctx.principal is not None
    ended = ctx.state.sessions.close_others(ctx.principal.user_id, ctx.principal.session.token_hash)
    return redirect("/console/account", f"Signed out of {ended} other session{'s' if ended != 1 else ''}")
