from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.services import InvalidCredentials, LoginThrottled, client_ip, user_login
from web.forms import LoginForm


def _safe_next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return value
    return "/"


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    """Session sign-in through the same service as the API, so failures are throttled and audited alike."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request, next_url))
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = user_login(email=form.cleaned_data["email"], password=form.cleaned_data["password"],
                              ip_address=client_ip(request), request=request)
        except LoginThrottled as exc:
            form.add_error(None, exc.message)
            status = 429
        except InvalidCredentials as exc:
            form.add_error(None, exc.message)
            status = 401
        else:
            login(request, user)
            return redirect(_safe_next(request, next_url))
    elif request.method == "POST":
        status = 400
    return render(request, "registration/login.html", {"form": form, "next": next_url}, status=status)
