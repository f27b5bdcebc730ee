"""Settings shared by every environment. Every environment value is read here, once."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",  # one API token per person (docs/api.md)
    "drf_spectacular",
    "references",
    "screening",
    "extraction",
    "risk_of_bias",
    "meta_analysis",
    "grade",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login except the ones marked @login_not_required (Django 5.1+).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the answer of
    # screening.reviews.accounts.
    "axes.middleware.AxesMiddleware",
]

# Logins (screening/reviews/accounts.py). django-axes counts failures per username and per address
# in the database; past the limit both the account and the address are refused for the lockout time,
# even with the right password, and the person is told to wait.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "screening.reviews.accounts.lockout_response"
AXES_VERBOSE = False  # no banner on every manage.py command
# Behind a reverse proxy the client's address is in X-Forwarded-For: say how many proxies.
AXES_IPWARE_PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
# Password reset requests an hour, per address and per email.
PASSWORD_RESET_LIMIT = env.int("PASSWORD_RESET_LIMIT", default=5)

X_FRAME_OPTIONS = "DENY"  # Django's default, said here: no page of ours is ever framed

# Content-Security-Policy (django-csp): scripts and styles from this site only, no inline
# script or style (the templates have none; htmx's indicator style is in app.css), and no
# frames either way: the PDF reader draws pages on canvases, so no page embeds a frame, and no
# other site may frame ours (X-Frame-Options says DENY to browsers without CSP).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [NONE],
        # The PDF reader's pdf.js worker (static/vendor/pdfjs/pdf.worker.min.mjs), a module from
        # this site: said outright rather than left to the script-src fallback.
        "worker-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A waiting writer retries instead of failing at once with "database is locked". IMMEDIATE:
    # a transaction takes the write lock when it begins, so it waits for another writer (the
    # ranking's retrain thread, say) instead of failing when it upgrades from reading to
    # writing, which SQLite refuses at once whatever the timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "screening:review-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the files WhiteNoise serves (a fresh folder per release, say).
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded literature files are private: kept outside any served folder.
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Uploads. Files above FILE_UPLOAD_MAX_MEMORY_SIZE stream to a temporary file on disk.
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=500 * 1024 * 1024)
# A file at least this large is parsed in a process of its own beside the import
# (screening/identification/parse_process.py); a smaller one on a thread, where sending the
# entries across a pipe would cost more than it saves: a 24 MB MEDLINE file (10,000 records)
# imported in 1.4 s on the thread against 1.7 s through the process; at 168 MB (10,000 PubMed
# XML records) and 237 MB the two were level (docs/performance.md). 0: always a process.
IMPORT_PARSE_PROCESS_MIN_BYTES = env.int("IMPORT_PARSE_PROCESS_MIN_BYTES", default=64 * 1024 * 1024)
# Largest full-text PDF a reviewer may attach.
FULLTEXT_MAX_FILE_BYTES = env.int("FULLTEXT_MAX_FILE_BYTES", default=50 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# PRISMA counts studies, which the extraction app (a layer above screening) groups reports
# into: the wiring that tells screening how to count them lives here, not in an import.
PRISMA_STUDIES_COUNTER = "extraction.selectors.included_studies_count"
# Likewise, whether a report is in a study (then its full-text decision may no longer be revised
# by its one reviewer): screening asks through this function.
REPORT_IN_STUDY = "extraction.selectors.report_in_study"
# The forest plot (extraction) shows each result's reported risk-of-bias judgements beside it;
# the risk_of_bias app, a layer above, answers through this function.
FOREST_RISK_OF_BIAS = "risk_of_bias.selectors.forest_judgements"

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="screening@localhost")

# Celery: with no broker configured, tasks run in-process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL", default=""))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged task after this long. It must exceed the hard time limit,
# or a long import still running would be handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 600)
}

# The cache counts password reset requests (screening/reviews/accounts.py): shared through Redis
# when there is one, so that every web process counts against the same limit; else per process.
CACHE_URL = env(
    "CACHE_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "",
)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Screening prioritisation (screening/prioritisation/retrain.py): retrain after this many decisions
# or seconds, whichever comes first; "auto" runs it as a Celery task with a broker and in a
# background thread without one; "inline" runs it at once (tests); "off" never.
RANKING_RETRAIN = env("RANKING_RETRAIN", default="auto")
RANKING_RETRAIN_EVERY = env.int("RANKING_RETRAIN_EVERY", default=5)  # simulate.py's default too
RANKING_RETRAIN_SECONDS = env.int("RANKING_RETRAIN_SECONDS", default=60)
# The sentence-embedding model of the "embedding" ranker: a folder holding a static model in
# model2vec's format, fetched once at install time (`make embedding-model`); empty: no model,
# and the chooser has one ranker fewer (docs/prioritisation.md).
PRIORITISATION_EMBEDDING_MODEL = env("EMBEDDING_MODEL", default="")
# Where each review's vectors are written as a file the retrain maps into memory.
EMBEDDING_CACHE_DIR = env("EMBEDDING_CACHE_DIR", default=str(BASE_DIR / "var" / "embeddings"))
# auto: a Celery task with a broker, a process of its own without one; inline: at once (tests).
EMBEDDINGS_COMPUTE = env("EMBEDDINGS_COMPUTE", default="auto")

# PubMed's E-utilities (references/pubmed.py). NCBI asks every caller for an email address and
# a tool name; an API key raises its limit from 3 to 10 requests a second. The base URL is
# honoured for every request: tests and benchmarks point it at a local server.
PUBMED_EUTILS_URL = env(
    "PUBMED_EUTILS_URL", default="https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
)
NCBI_EMAIL = env("NCBI_EMAIL", default="")
NCBI_TOOL = env("NCBI_TOOL", default="screening")
NCBI_API_KEY = env("NCBI_API_KEY", default="")
PUBMED_TIMEOUT = env.float("PUBMED_TIMEOUT", default=60.0)  # seconds for one request
PUBMED_MAX_TRIES = env.int("PUBMED_MAX_TRIES", default=6)
PUBMED_BACKOFF = env.float("PUBMED_BACKOFF", default=1.0)  # first wait after a failure, doubling
PUBMED_BACKOFF_CEILING = env.float("PUBMED_BACKOFF_CEILING", default=30.0)
PUBMED_BATCH_SIZE = env.int("PUBMED_BATCH_SIZE", default=200)  # PMIDs per efetch
# NCBI lets esearch list the first 9,999 PMIDs of a query; larger results are split by date.
# Not a knob: tests lower it to exercise the splitting on a small fake PubMed.
PUBMED_ESEARCH_MAX_IDS = 9999
# The limiter that spaces requests is shared through Redis when there is one (every worker
# counts against the same NCBI limit); otherwise it is per process.
PUBMED_RATE_LIMIT_REDIS_URL = env(
    "PUBMED_RATE_LIMIT_REDIS_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "",
)
# A running job whose heartbeat is older than this is taken to have lost its worker: the
# sweeper (Celery beat, every minute) or `import_pubmed --resume JOB` carries it on.
PUBMED_JOB_STALE_SECONDS = env.int("PUBMED_JOB_STALE_SECONDS", default=300)
# Without a broker, a PubMed job started from a page runs in a thread beside the request (dev
# only, so that `make run` shows its progress), or else at once, inside the request.
PUBMED_EAGER_IN_THREAD = False
# Scheduled re-runs of PubMed searches (a living review): off unless turned on here, and then
# only for the searches given an interval.
PUBMED_SCHEDULED_RERUNS = env.bool("PUBMED_SCHEDULED_RERUNS", default=False)

# Import jobs: a running import says it is alive every IMPORT_JOB_HEARTBEAT_SECONDS; one
# silent for IMPORT_JOB_STALE_SECONDS lost its worker, and the sweeper queues it again.
IMPORT_JOB_HEARTBEAT_SECONDS = env.float("IMPORT_JOB_HEARTBEAT_SECONDS", default=15.0)
IMPORT_JOB_STALE_SECONDS = env.int("IMPORT_JOB_STALE_SECONDS", default=180)

CELERY_BEAT_SCHEDULE = {
    "pubmed-jobs-sweep": {"task": "screening.tasks.pubmed_jobs_sweep_task", "schedule": 60.0},
    "import-jobs-sweep": {"task": "screening.tasks.import_jobs_sweep_task", "schedule": 60.0},
}
if PUBMED_SCHEDULED_RERUNS:
    CELERY_BEAT_SCHEDULE["pubmed-reruns-due"] = {
        "task": "screening.tasks.pubmed_reruns_due_task",
        "schedule": 3600.0,
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # bibtexparser logs every author list it leaves to us (we decode names ourselves) at INFO.
    "loggers": {"bibtexparser": {"level": "WARNING"}},
}

# The audit log's key (screening/audit/signing.py): every event's hash and each
# review's sealed head are HMAC-SHA256 with it, so that a person who can write to the database
# but does not hold the key cannot rewrite the log undetected. It lives in the environment,
# never in the database. prod.py requires it; elsewhere a fixed development key stands in.
# Rotation: set a new AUDIT_KEY and move the old one to AUDIT_PREVIOUS_KEYS (comma-separated),
# which only verify the events they signed (docs/threat-model.md).
DEV_AUDIT_KEY = "development-audit-key-not-secret-do-not-use-in-production"
AUDIT_KEY = env("AUDIT_KEY", default=DEV_AUDIT_KEY)
AUDIT_PREVIOUS_KEYS = env.list("AUDIT_PREVIOUS_KEYS", default=[])

# load_demo prints a known login; it may run only where that is harmless.
DEMO_ALLOWED = False

# django-filter: an unset choice filter reads "Any" (it filters nothing), not "---------".
FILTERS_EMPTY_CHOICE_LABEL = "Any"

# The REST API (api/, docs/api.md): a token per person (`Authorization: Token <key>`) or the
# session of a logged-in browser; JSON only (no browsable pages, whose scripts the CSP would
# refuse); every data endpoint needs a login, and answers are paginated and throttled.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumbers",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=100),
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerPerson", "api.throttling.PerAddress"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="5000/hour"),
        "anon": env("API_THROTTLE_ANON", default="100/hour"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# The largest page a client may ask for (?page_size=).
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=1000)
SPECTACULAR_SETTINGS = {
    "TITLE": "Screening API",
    "DESCRIPTION": "Reviews, references, screening, PRISMA and extraction, with the pages' "
    "permission and blinding rules (docs/api.md).",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The schema holds no data: anyone may read it, logged in or not.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}
