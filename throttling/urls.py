"""DRF routes of the demos, included at /api/drf by config.drf_urls."""

from django.urls import path

from throttling import views

urlpatterns = [
    path("rl-demo/ping", views.RlDemoPingApi.as_view(), name="rl-demo-ping"),
    path("rl-demo/login-sim", views.RlDemoLoginSimApi.as_view(), name="rl-demo-login-sim"),
    path("bf-demo/login", views.BfDemoLoginApi.as_view(), name="bf-demo-login"),
    path("bf-demo/status", views.BfDemoStatusApi.as_view(), name="bf-demo-status"),
]
