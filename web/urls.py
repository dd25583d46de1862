from django.contrib.auth.views import LogoutView
from django.urls import path

from web.views import (
    account,
    aircraft,
    auth,
    availability,
    bookings,
    cancel,
    dashboard,
    grid,
    instructor,
    reschedule,
    standby,
)

app_name = "web"

# Messages link to /bookings/<id>/, /reschedule/<id>/, /notifications/ and /profile/: keep these paths.
urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("dashboard/live/", dashboard.dashboard_live, name="dashboard_live"),
    path("dispatch/", dashboard.dispatch, name="dispatch"),
    path("schedule/", grid.day_grid, name="day_grid"),
    path("bookings/new/", bookings.booking_new, name="booking_new"),
    path("bookings/new/slots/", bookings.booking_slots, name="booking_slots"),
    path("bookings/<int:booking_id>/", bookings.booking_detail, name="booking_detail"),
    path("bookings/<int:booking_id>/cancel/", cancel.booking_cancel_page, name="booking_cancel"),
    path("bookings/<int:booking_id>/confirm/", instructor.booking_confirm, name="booking_confirm"),
    path("reschedule/<int:request_id>/", reschedule.reschedule_detail, name="reschedule"),
    path("reschedule/<int:request_id>/accept/", reschedule.reschedule_accept, name="reschedule_accept"),
    path("reschedule/<int:request_id>/decline/", reschedule.reschedule_decline, name="reschedule_decline"),
    path("reschedule/<int:request_id>/options/<int:option_id>/unavailable/", instructor.option_unavailable,
         name="reschedule_option_unavailable"),
    path("notifications/", account.notifications, name="notifications"),
    path("notifications/read-all/", account.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/read/", account.notification_read, name="notification_read"),
    path("profile/", account.profile, name="profile"),
    path("profile/calendar/rotate/", account.profile_calendar_rotate, name="profile_calendar_rotate"),
    path("profile/sign-out-everywhere/", account.profile_sign_out_everywhere, name="profile_sign_out_everywhere"),
    path("calendar/", account.calendar, name="calendar"),
    path("availability/", availability.my_availability, name="my_availability"),
    path("availability/windows/<int:pattern_id>/delete/", availability.my_window_delete, name="my_window_delete"),
    path("availability/time-off/<int:exception_id>/delete/", availability.my_time_off_delete,
         name="my_time_off_delete"),
    path("aircraft/<int:aircraft_id>/", aircraft.aircraft_detail, name="aircraft_detail"),
    path("aircraft/<int:aircraft_id>/squawks/", aircraft.aircraft_squawk_new, name="aircraft_squawk_new"),
    path("squawks/<int:squawk_id>/clear/", aircraft.squawk_clear_view, name="squawk_clear"),
    path("standby/", standby.standby_page, name="standby"),
    path("standby/<int:standby_id>/withdraw/", standby.standby_withdraw_view, name="standby_withdraw"),
]
