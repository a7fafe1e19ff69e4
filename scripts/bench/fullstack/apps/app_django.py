"""Django as Django users deploy it: WSGI under gunicorn (gthread workers), psycopg 3,
persistent connections (CONN_MAX_AGE), the template engine for fortunes."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

from _world import DATABASE_URL, EXTRA_FORTUNE, query_count, random_id
from django.conf import settings

url = urlsplit(DATABASE_URL)
settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["bench_django"],
    MIDDLEWARE=[],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/"),
            "USER": url.username or "",
            "HOST": url.hostname or "",
            "PORT": str(url.port or 5432),
            "CONN_MAX_AGE": None,
        }
    },
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
    USE_TZ=True,
)

import django  # noqa: E402

django.setup()

from bench_django.models import Fortune, World  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import transaction  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path  # noqa: E402

TEMPLATE = engines["django"].from_string(
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
    "{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>{% endfor %}"
    "</table></body></html>"
)


def json_(request):  # type: ignore[no-untyped-def]
    return JsonResponse({"message": "Hello, World!"})


def single(request):  # type: ignore[no-untyped-def]
    world = World.objects.get(id=random_id())
    return JsonResponse({"id": world.id, "randomNumber": world.randomnumber})


def queries(request):  # type: ignore[no-untyped-def]
    count = query_count(request.GET.get("queries"))
    worlds = [World.objects.get(id=random_id()) for _ in range(count)]
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds], safe=False)


def fortunes(request):  # type: ignore[no-untyped-def]
    rows = list(Fortune.objects.all())
    rows.append(Fortune(id=0, message=EXTRA_FORTUNE))
    rows.sort(key=lambda f: f.message)
    return HttpResponse(TEMPLATE.render({"fortunes": rows}))


def updates(request):  # type: ignore[no-untyped-def]
    count = query_count(request.GET.get("queries"))
    with transaction.atomic():
        worlds = [World.objects.get(id=i) for i in sorted(random_id() for _ in range(count))]
        for world in worlds:
            world.randomnumber = random.randint(1, 10_000)
        World.objects.bulk_update(worlds, ["randomnumber"])
    return JsonResponse([{"id": w.id, "randomNumber": w.randomnumber} for w in worlds], safe=False)


urlpatterns = [
    path("json", json_),
    path("db", single),
    path("queries", queries),
    path("fortunes", fortunes),
    path("updates", updates),
]

application = get_wsgi_application()
