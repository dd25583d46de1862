from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect

from config.exceptions import NotFoundError
from notifications import selectors as notifications_selectors


def unread_count(user) -> int:
    return notifications_selectors.unread_count(actor=user)


def render_page(request, template: str, context: dict | None = None, *, status: int = 200):
    """Render a full page with what the layout shows on every page (the unread notifications badge)."""
    context = dict(context or {})
    if request.user.is_authenticated and "unread_notifications" not in context:
        context["unread_notifications"] = unread_count(request.user)
    return render(request, template, context, status=status)


def not_found_as_404(view):
    """Another person's object is simply not there: the same 404 as one that never existed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFoundError:
            raise Http404("Not found")

    return wrapper


def staff_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied("Only operations staff can open this page.")
        return view(request, *args, **kwargs)

    return wrapper


def login_required(view):
    """Pages need a session. A polled fragment whose session ran out sends the whole page to sign in,
    instead of drawing the sign-in form inside the dashboard."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            return HttpResponseClientRedirect(redirect_to_login(request.htmx.current_url_abs_path or "/")["Location"])
        return redirect_to_login(request.get_full_path())

    return wrapper
