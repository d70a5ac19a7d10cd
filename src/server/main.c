/* build/tasks-api: the local composition root. Reads flags and environment, opens the
 * configured store, starts the HTTP server and waits for SIGINT/SIGTERM to shut down
 * cleanly (in-flight requests finish, then the database is closed). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/log.h"
#include "../router/idempotency.h"
#include "../router/router.h"
#include "../store/dynamodb/dynamodb.h"
#include "../store/sqlite.h"
#include "http_server.h"

#ifndef TAPI_VERSION
#define TAPI_VERSION "0.1.0"
#endif

enum { EXIT_USAGE = 2, DRAIN_MS = 10000 };

typedef struct config {
    const char *host;
    unsigned port;
    const char *db_path;
    const char *store;
    unsigned threads;
    unsigned idle_timeout_s;
    unsigned max_connections;
    int access_log;
    tapi_jwt_config auth; /* all three set: authentication on; none: off */
    const char *docs_dir; /* NULL: no documentation at /docs */
    int64_t idempotency_window_s;
} config;

static const char USAGE[] =
    "Usage: tasks-api serve [--host H] [--port P] [--db PATH] [--threads N]\n"
    "                       [--auth-jwks FILE --auth-issuer ISS --auth-audience AUD]\n"
    "                       [--docs DIR]\n"
    "       tasks-api create-table [--wait SECONDS]\n"
    "       tasks-api migrate\n"
    "       tasks-api --help | --version\n"
    "\n"
    "serve         serves the Tasks REST API over HTTP.\n"
    "migrate       brings a DynamoDB table's tasks from earlier versions up to date (so\n"
    "              status-filtered lists include them); idempotent, safe while serving.\n"
    "create-table  creates the DynamoDB table and indexes the dynamodb store needs (unless\n"
    "              they exist) and waits until they are ACTIVE (default 60 s).\n"
    "\n"
    "Options (flags win over environment variables):\n"
    "  --host H        address to bind (default 127.0.0.1)\n"
    "  --port P        TCP port, 0 for any free port (env PORT; default 8080)\n"
    "  --db PATH       SQLite database file, created if absent (env TASKS_DB;\n"
    "                  default ./tasks.db)\n"
    "  --threads N     worker threads, 1..256 (env TASKS_THREADS; default: CPU count)\n"
    "  --idle-timeout S  close connections idle for S seconds, 1..3600 (default 30)\n"
    "  --max-connections N  concurrent connections, 1..65536 (default 4096)\n"
    "  --no-access-log do not write a log line per request\n"
    "  --docs DIR      serve the interactive API documentation at /docs from DIR, as\n"
    "                  `make docs` builds it (env TASKS_DOCS_DIR; default: none)\n"
    "Authentication (off unless all three are given; then every request needs\n"
    "Authorization: Bearer <JWT> and sees only its user's tasks):\n"
    "  --auth-jwks FILE      JSON Web Key Set with the issuer's RS256 keys\n"
    "                        (env TASKS_AUTH_JWKS)\n"
    "  --auth-issuer ISS     the tokens' exact \"iss\" (env TASKS_AUTH_ISSUER)\n"
    "  --auth-audience AUD   \"aud\" of ID tokens, \"client_id\" of access tokens\n"
    "                        (env TASKS_AUTH_AUDIENCE)\n"
    "\n"
    "Environment:\n"
    "  TASKS_STORE     sqlite (default) or dynamodb\n"
    "  LOG_LEVEL       debug, info (default), warn or error\n"
    "  TASKS_IDEMPOTENCY_WINDOW_S  how long an Idempotency-Key answers, 1..604800\n"
    "                  seconds (default 86400)\n"
    "DynamoDB store (and create-table):\n"
    "  TABLE_NAME                 table name (required)\n"
    "  AWS_REGION                 region (required)\n"
    "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN  credentials\n"
    "  AWS_ENDPOINT_URL_DYNAMODB  endpoint override (https://, or http:// on loopback)\n"
    "  TASKS_DDB_SHARDS           list-index shards, 1..32 (default 4)\n"
    "\n"
    "Routes: POST /tasks, GET /tasks, GET|PATCH|DELETE /tasks/{id}.\n"
    "Logs are JSON lines on stderr. SIGINT/SIGTERM stop the server gracefully.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    fprintf(stderr, "tasks-api: ");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nRun 'tasks-api --help' for usage.\n");
    return EXIT_USAGE;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || s[0] == '-' || s[0] == '+' || v < lo || v > hi) return -1;
    *out = (unsigned)v;
    return 0;
}

static unsigned cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* Environment first, so that flags parsed afterwards override it. */
static int load_env(config *cfg)
{
    const char *v;
    if ((v = getenv("PORT")) && parse_uint(v, 0, 65535, &cfg->port))
        return usage_error("PORT must be a number from 0 to 65535 (got '%s').", v);
    if ((v = getenv("TASKS_DB")) && *v) cfg->db_path = v;
    if ((v = getenv("TASKS_DOCS_DIR")) && *v) cfg->docs_dir = v;
    if ((v = getenv("TASKS_STORE")) && *v) cfg->store = v;
    if ((v = getenv("TASKS_AUTH_JWKS")) && *v) cfg->auth.jwks_path = v;
    if ((v = getenv("TASKS_AUTH_ISSUER")) && *v) cfg->auth.issuer = v;
    if ((v = getenv("TASKS_AUTH_AUDIENCE")) && *v) cfg->auth.audience = v;
    if ((v = getenv("TASKS_THREADS")) && parse_uint(v, 1, 256, &cfg->threads))
        return usage_error("TASKS_THREADS must be a number from 1 to 256 (got '%s').", v);
    if (tapi_idempotency_window_parse(getenv("TASKS_IDEMPOTENCY_WINDOW_S"),
                                      &cfg->idempotency_window_s) != TAPI_OK)
        return usage_error("TASKS_IDEMPOTENCY_WINDOW_S must be a number of seconds from 1 to "
                           "604800 (got '%s').", getenv("TASKS_IDEMPOTENCY_WINDOW_S"));
    tapi_log_level level = TAPI_LOG_INFO;
    if ((v = getenv("LOG_LEVEL")) && *v && !tapi_log_level_parse(v, &level))
        return usage_error("LOG_LEVEL must be debug, info, warn or error (got '%s').", v);
    tapi_log_configure(level, stderr);
    return 0;
}

static int parse_flags(int argc, char **argv, config *cfg)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-access-log") == 0) {
            cfg->access_log = 0;
            continue;
        }
        if (!val) return usage_error("option '%s' needs a value (or is unknown).", a);
        i++;
        if (strcmp(a, "--host") == 0) {
            cfg->host = val;
        } else if (strcmp(a, "--docs") == 0) {
            if (!*val) return usage_error("--docs needs a directory.");
            cfg->docs_dir = val;
        } else if (strcmp(a, "--port") == 0) {
            if (parse_uint(val, 0, 65535, &cfg->port))
                return usage_error("--port must be a number from 0 to 65535 (got '%s').", val);
        } else if (strcmp(a, "--db") == 0) {
            if (!*val) return usage_error("--db needs a file path.");
            cfg->db_path = val;
        } else if (strcmp(a, "--threads") == 0) {
            if (parse_uint(val, 1, 256, &cfg->threads))
                return usage_error("--threads must be a number from 1 to 256 (got '%s').", val);
        } else if (strcmp(a, "--auth-jwks") == 0) {
            cfg->auth.jwks_path = val;
        } else if (strcmp(a, "--auth-issuer") == 0) {
            cfg->auth.issuer = val;
        } else if (strcmp(a, "--auth-audience") == 0) {
            cfg->auth.audience = val;
        } else if (strcmp(a, "--idle-timeout") == 0) {
            if (parse_uint(val, 1, 3600, &cfg->idle_timeout_s))
                return usage_error("--idle-timeout must be 1..3600 seconds (got '%s').", val);
        } else if (strcmp(a, "--max-connections") == 0) {
            if (parse_uint(val, 1, 65536, &cfg->max_connections))
                return usage_error("--max-connections must be 1..65536 (got '%s').", val);
        } else {
            return usage_error("unknown option '%s'.", a);
        }
    }
    return 0;
}

/* Opens the configured store and describes it for the start-up line in what[]. */
static int open_store(const config *cfg, tapi_store **store, char *what, size_t whatlen)
{
    char err[256] = "";
    if (strcmp(cfg->store, "dynamodb") == 0) {
        tapi_ddb_config dcfg;
        tapi_err e = tapi_ddb_config_from_env(&dcfg, err, sizeof err);
        dcfg.pool_size = cfg->threads;
        if (e == TAPI_OK) e = tapi_dynamodb_open(&dcfg, store, err, sizeof err);
        if (e != TAPI_OK) {
            fprintf(stderr, "tasks-api: cannot open the DynamoDB store: %s\n", err);
            return 1;
        }
        if (dcfg.endpoint)
            snprintf(what, whatlen, "store dynamodb, table %s, endpoint %.200s", dcfg.table,
                     dcfg.endpoint);
        else
            snprintf(what, whatlen, "store dynamodb, table %s, region %s", dcfg.table,
                     dcfg.region);
        return 0;
    }
    if (strcmp(cfg->store, "sqlite") != 0)
        return usage_error("TASKS_STORE must be 'sqlite' or 'dynamodb' (got '%s').", cfg->store);
    /* one connection per worker thread, so no request ever waits for a connection */
    if (tapi_sqlite_open(cfg->db_path, cfg->threads, store, err, sizeof err) != TAPI_OK) {
        fprintf(stderr, "tasks-api: cannot open the database: %s\n", err);
        return 1;
    }
    snprintf(what, whatlen, "store sqlite, db %.300s", cfg->db_path);
    return 0;
}

/* Loads the verifier when authentication is configured; half a configuration is an
 * error, never a silently open API. */
static int open_auth(const config *cfg, tapi_jwt_verifier **out, char *what, size_t whatlen)
{
    const tapi_jwt_config *a = &cfg->auth;
    int given = (a->jwks_path && *a->jwks_path) + (a->issuer && *a->issuer) +
                (a->audience && *a->audience);
    *out = NULL;
    if (given == 0) {
        snprintf(what, whatlen, "authentication off");
        return 0;
    }
    if (given < 3)
        return usage_error("authentication needs --auth-jwks, --auth-issuer and --auth-audience "
                           "(or TASKS_AUTH_JWKS, TASKS_AUTH_ISSUER, TASKS_AUTH_AUDIENCE) together.");
    char err[512] = "";
    if (tapi_jwt_verifier_open(a, out, err, sizeof err) != TAPI_OK) {
        fprintf(stderr, "tasks-api: %s\n", err[0] ? err : "out of memory");
        return 1;
    }
    snprintf(what, whatlen, "authentication on, issuer %.200s, %zu key(s)", a->issuer,
             tapi_jwt_key_count(*out));
    return 0;
}

static int serve(const config *cfg)
{
    /* Block the stop signals before any thread exists so only sigwait() sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    tapi_jwt_verifier *auth = NULL;
    char auth_what[300] = "";
    int rc = open_auth(cfg, &auth, auth_what, sizeof auth_what);
    if (rc) return rc;
    tapi_store *store = NULL;
    char what[400] = "";
    rc = open_store(cfg, &store, what, sizeof what);
    if (rc) {
        tapi_jwt_verifier_close(auth);
        return rc;
    }
    tapi_docs_site *docs = NULL;
    char docs_err[512] = "";
    if (cfg->docs_dir &&
        tapi_docs_site_open(cfg->docs_dir, &docs, docs_err, sizeof docs_err) != TAPI_OK) {
        fprintf(stderr, "tasks-api: %s\n", docs_err[0] ? docs_err : "out of memory");
        tapi_store_close(store);
        tapi_jwt_verifier_close(auth);
        return 1;
    }
    const tapi_app app = {.store = store, .idempotency_window_s = cfg->idempotency_window_s};
    tapi_server_config scfg = {.docs = docs,
                               .host = cfg->host,
                               .port = cfg->port,
                               .threads = cfg->threads,
                               .idle_timeout_s = cfg->idle_timeout_s,
                               .max_connections = cfg->max_connections,
                               .access_log = cfg->access_log,
                               .auth = auth};
    tapi_server *server = NULL;
    char err[256] = "";
    if (tapi_server_start(&scfg, &app, &server, err, sizeof err) != TAPI_OK) {
        fprintf(stderr, "tasks-api: %s\n", err);
        tapi_store_close(store);
        tapi_jwt_verifier_close(auth);
        tapi_docs_site_close(docs);
        return 1;
    }
    const char *open = strchr(cfg->host, ':') ? "[" : "", *close = *open ? "]" : "";
    tapi_log(TAPI_LOG_INFO, "listening on http://%s%s%s:%u (%s, %s, %u threads%s)", open,
             cfg->host, close, tapi_server_port(server), what, auth_what, cfg->threads,
             docs ? ", documentation at /docs" : "");
    int sig = 0;
    sigwait(&stop, &sig);
    tapi_log(TAPI_LOG_INFO, "received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    tapi_server_stop(server, DRAIN_MS);
    tapi_store_close(store);
    tapi_jwt_verifier_close(auth);
    tapi_docs_site_close(docs);
    tapi_log(TAPI_LOG_INFO, "stopped");
    return 0;
}

static int create_table(int argc, char **argv)
{
    unsigned wait_s = 60;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            if (parse_uint(argv[++i], 1, 3600, &wait_s))
                return usage_error("--wait must be 1..3600 seconds (got '%s').", argv[i]);
        } else {
            return usage_error("unknown option '%s'.", argv[i]);
        }
    }
    config unused = {0};
    int rc = load_env(&unused);
    if (rc) return rc;
    char err[256] = "";
    tapi_ddb_config dcfg;
    if (tapi_ddb_config_from_env(&dcfg, err, sizeof err) != TAPI_OK ||
        tapi_dynamodb_create_table(&dcfg, wait_s, err, sizeof err) != TAPI_OK) {
        fprintf(stderr, "tasks-api: create-table: %s\n", err);
        return 1;
    }
    tapi_log(TAPI_LOG_INFO, "table %s and indexes %s, %s are ACTIVE", dcfg.table,
             TAPI_DDB_INDEX, TAPI_DDB_STATUS_INDEX);
    return 0;
}

static int migrate(int argc, char **argv)
{
    if (argc > 2) return usage_error("unknown option '%s'.", argv[2]);
    config unused = {0};
    int rc = load_env(&unused);
    if (rc) return rc;
    char err[256] = "";
    tapi_ddb_config dcfg;
    size_t updated = 0;
    if (tapi_ddb_config_from_env(&dcfg, err, sizeof err) != TAPI_OK ||
        tapi_dynamodb_migrate(&dcfg, &updated, err, sizeof err) != TAPI_OK) {
        fprintf(stderr, "tasks-api: migrate: %s\n", err);
        return 1;
    }
    tapi_log(TAPI_LOG_INFO, "table %s is up to date (%zu task(s) updated)", dcfg.table, updated);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tasks-api %s\n", TAPI_VERSION);
        return 0;
    }
    for (int i = 2; i < argc; i++) { /* "tasks-api serve --help": help, whatever else */
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        }
    }
    if (strcmp(argv[1], "create-table") == 0) return create_table(argc, argv);
    if (strcmp(argv[1], "migrate") == 0) return migrate(argc, argv);
    if (strcmp(argv[1], "serve") != 0) return usage_error("unknown command '%s'.", argv[1]);
    config cfg = {.host = "127.0.0.1",
                  .port = 8080,
                  .db_path = "./tasks.db",
                  .store = "sqlite",
                  .threads = cpu_count(),
                  .idle_timeout_s = 30,
                  .max_connections = 4096,
                  .access_log = 1};
    int rc = load_env(&cfg);
    if (rc == 0) rc = parse_flags(argc, argv, &cfg);
    if (rc == 0) rc = serve(&cfg);
    return rc;
}
