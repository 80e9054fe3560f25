"""DRF routes of the demos, included at /api/drf by config.drf_urls."""

from django.urls import path

from throttling import api

urlpatterns = [
    path("rl-demo/ping", api.RlDemoPingApi.as_view(), name="rl-demo-ping"),
    path("rl-demo/login-sim", api.RlDemoLoginSimApi.as_view(), name="rl-demo-login-sim"),
    path("bf-demo/login", api.BfDemoLoginApi.as_view(), name="bf-demo-login"),
    path("bf-demo/status", api.BfDemoStatusApi.as_view(), name="bf-demo-status"),
]
