/*
 * loadgen.c - a small single-threaded epoll load generator for SockJS servers.
 *
 * Part of the txsockjs end-to-end benchmark (benchmarks/e2e/run.py compiles it
 * at run time with gcc -O2).  It speaks just enough of the SockJS protocol
 * (websocket transport, xhr / xhr_send / xhr_streaming) to drive one server on
 * 127.0.0.1, and prints one JSON line of results.
 *
 * Modes:
 *   ws-echo     N websocket sessions on /<svc>/000/<sid>/websocket, each with
 *               one message in flight; messages/s and round-trip percentiles.
 *   ws-bcast    N websocket sessions on a broadcast service; session 0 sends,
 *               every session receives; at most --window messages are in
 *               flight (a message is done when all N sessions have it);
 *               deliveries/s.
 *   xhr-poll    N clients, each on its own keep-alive HTTP/1.1 connection,
 *               cycling POST xhr_send then POST xhr; requests/s.  The poll
 *               always finds the echo already queued: no request is ever
 *               held, which is not what a SockJS client does (see xhr-client).
 *   xhr-client  N clients doing what sockjs-client's xhr-polling transport
 *               does: each has two keep-alive connections, one that always
 *               has a POST xhr outstanding (held by the server until there is
 *               something to say) and one for POST xhr_send.  A client sends
 *               its next message once the echo of the last one came back on
 *               the poll and its xhr_send was answered; messages/s and
 *               round-trip percentiles.
 *   xhr-stream  one xhr_streaming receiver (reopened when the server ends a
 *               response at its streaming limit), one xhr_send sender posting
 *               --batch messages per request with at most --window messages
 *               in flight; messages delivered/s.
 *   ws-idle     opens --warm sessions, reads the server's VmRSS, opens N more
 *               idle sessions, waits --settle s, reads VmRSS again; KiB per
 *               session.
 *
 * --headers chromium sends, on every xhr request, the headers Chromium 156 sends
 * for sockjs-client's XMLHttpRequest POSTs (captured from the real browser, same
 * order; Origin and Referer name the server); the default sends only Host,
 * Content-Type and Content-Length.
 *
 * With --server-pid the server's CPU time (utime+stime of all its threads,
 * /proc/PID/stat) is read at the start and the end of the measured window.
 * Every loop is bounded in time: the run stops by itself after
 * warmup+duration (plus a fixed 30 s limit on the opening phase).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { M_WS_ECHO, M_WS_BCAST, M_XHR_POLL, M_XHR_STREAM, M_WS_IDLE, M_XHR_CLIENT };

/* connection states */
enum {
    S_CONNECTING = 1, /* non-blocking connect in progress */
    S_WS_HANDSHAKE,   /* upgrade request sent, waiting for 101 */
    S_WS_OPENWAIT,    /* upgraded, waiting for the SockJS "o" frame */
    S_WS_OPEN,
    S_HTTP,           /* HTTP request in flight */
    S_HTTP_IDLE,      /* keep-alive connection, no request in flight */
    S_CLOSED
};

/* what an xhr client is doing */
enum { R_OPEN = 1, R_SEND, R_POLL, R_STREAM };

typedef struct {
    char *p;
    size_t len, cap, off;
} buf_t;

typedef struct conn {
    int fd, idx, state;
    int role;           /* R_* for http clients */
    int is_sender;
    char sid[24];
    uint8_t mask[4];
    buf_t rb, wb, body;
    /* http response parser */
    int hdr_done, status, chunked, conn_close, body_until_close;
    long clen, chunk_left;
    int chunk_state;    /* 0 size line, 1 data, 2 crlf after data, 3 trailer */
    int resp_lines;     /* SockJS lines/messages seen in this response */
    int saw_open;
    /* ws */
    uint64_t seq;
    double t_sent;
    int outstanding;
    int pending_connect_req; /* the request waiting in wb for connect */
    int echoed;         /* xhr-client: the echo of the last message came back */
} conn_t;

/* ------------------------------------------------------------------ config */
static int mode = M_WS_ECHO;
static const char *host = "127.0.0.1";
static int port = 8081;
static const char *svc = "/echo";
static int nconns = 1;
static int msize = 20;
static double duration = 5.0, warmup = 1.0, settle = 2.0;
static int server_pid = 0;
static int window_ = 4;
static int batch = 50;
static int warm_conns = 100;
static int max_opening = 64;

/* ------------------------------------------------------------------ state */
static int ep;
static conn_t *conns;
static int nall;             /* conns allocated */
static int n_open;           /* sessions opened (got "o") */
static int n_opening;        /* connects in progress */
static int next_to_open;
static int measuring;
static double t_measure_start, t_measure_end;
static uint64_t count;        /* the measured unit */
static uint64_t errors;
static double *lat;          /* round trip samples, us */
static size_t nlat, caplat = 4000000;
static char *payload;         /* message body (without quotes) */
static struct sockaddr_in addr;

/* broadcast */
#define RING 4096
static uint32_t bcast_cnt[RING];
static uint64_t bcast_sent, bcast_done;
static int bcast_receivers;

/* stream */
static uint64_t stream_sent, stream_recv;
static int sender_idle;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double self_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

/* The server's CPU seconds (utime+stime); *sys gets the stime part. */
static double proc_cpu_split(int pid, double *sys) {
    *sys = 0;
    if (!pid) return 0;
    char path[64], b[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = 0;
    char *p = strrchr(b, ')');
    if (!p) return -1;
    p += 2; /* state */
    unsigned long ut = 0, st = 0;
    int field = 3;
    char *tok = strtok(p, " ");
    while (tok) {
        if (field == 14) ut = strtoul(tok, NULL, 10);
        if (field == 15) { st = strtoul(tok, NULL, 10); break; }
        field++;
        tok = strtok(NULL, " ");
    }
    *sys = (double)st / sysconf(_SC_CLK_TCK);
    return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static double proc_cpu(int pid) {
    double sys;
    return proc_cpu_split(pid, &sys);
}

/* busy and steal seconds of cpu0 and cpu1 from /proc/stat */
static void cores_busy(double busy[2], double steal[2]) {
    char line[512];
    busy[0] = busy[1] = steal[0] = steal[1] = 0;
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        int core;
        unsigned long long v[8] = {0};
        if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &core, &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 9 &&
            core >= 0 && core < 2) {
            busy[core] = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / sysconf(_SC_CLK_TCK);
            steal[core] = (double)v[7] / sysconf(_SC_CLK_TCK);
        }
    }
    fclose(f);
}

static long proc_rss_kib(int pid) {
    if (!pid) return 0;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) { v = strtol(line + 6, NULL, 10); break; }
    fclose(f);
    return v;
}

static void die(const char *m) {
    perror(m);
    exit(2);
}

/* ------------------------------------------------------------------ buffers */
static void buf_reserve(buf_t *b, size_t extra) {
    if (b->off && b->off == b->len) b->off = b->len = 0;
    if (b->len + extra <= b->cap) return;
    if (b->off) { /* compact first */
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->len + extra <= b->cap) return;
    }
    size_t nc = b->cap ? b->cap : 512;
    while (nc < b->len + extra) nc *= 2;
    b->p = realloc(b->p, nc);
    if (!b->p) die("realloc");
    b->cap = nc;
}

static void buf_add(buf_t *b, const void *d, size_t n) {
    buf_reserve(b, n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

/* ------------------------------------------------------------------ io */
static void set_events(conn_t *c, uint32_t ev) {
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static void close_conn(conn_t *c) {
    if (c->fd >= 0) {
        struct linger lg = {1, 0}; /* RST: no TIME_WAIT pile-up across runs */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = S_CLOSED;
    c->rb.len = c->rb.off = 0;
    c->wb.len = c->wb.off = 0;
}

static void flush(conn_t *c) {
    while (c->wb.off < c->wb.len) {
        ssize_t n = write(c->fd, c->wb.p + c->wb.off, c->wb.len - c->wb.off);
        if (n < 0) {
            if (errno == EAGAIN) {
                set_events(c, EPOLLIN | EPOLLOUT);
                return;
            }
            errors++;
            close_conn(c);
            return;
        }
        c->wb.off += n;
    }
    c->wb.off = c->wb.len = 0;
}

static void send_bytes(conn_t *c, const void *d, size_t n) {
    int was_empty = c->wb.off == c->wb.len;
    buf_add(&c->wb, d, n);
    if (c->state == S_CONNECTING) return;
    if (was_empty) flush(c);
}

static int start_connect(conn_t *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->state = S_CONNECTING;
    int r = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    if (r < 0 && errno != EINPROGRESS) {
        errors++;
        close(fd);
        c->fd = -1;
        c->state = S_CLOSED;
        return -1;
    }
    struct epoll_event e = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    return 0;
}

/* ------------------------------------------------------------------ ws */
static void rand_sid(conn_t *c) {
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 12; i++) c->sid[i] = al[rand() % 36];
    c->sid[12] = 0;
}

static void ws_begin(conn_t *c) {
    rand_sid(c);
    for (int i = 0; i < 4; i++) c->mask[i] = 1 + rand() % 255;
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s/000/%s/websocket HTTP/1.1\r\n"
                     "Host: %s:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     svc, c->sid, host, port);
    start_connect(c);
    send_bytes(c, req, n);
}

/* send one SockJS message ["m<seq>:<pad>"] as a masked text frame */
static void ws_send_msg(conn_t *c, uint64_t seq) {
    char head[32];
    int hl = snprintf(head, sizeof head, "m%llu:", (unsigned long long)seq);
    int body = msize > hl ? msize : hl; /* message string length */
    size_t plen = body + 4;              /* [" ... "] */
    uint8_t fh[14];
    size_t fl = 0;
    fh[fl++] = 0x81;
    if (plen < 126) fh[fl++] = 0x80 | plen;
    else if (plen < 65536) {
        fh[fl++] = 0x80 | 126;
        fh[fl++] = plen >> 8;
        fh[fl++] = plen & 0xff;
    } else {
        fh[fl++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--) fh[fl++] = (plen >> (8 * i)) & 0xff;
    }
    memcpy(fh + fl, c->mask, 4);
    fl += 4;
    buf_reserve(&c->wb, fl + plen);
    int was_empty = c->wb.off == c->wb.len;
    memcpy(c->wb.p + c->wb.len, fh, fl);
    c->wb.len += fl;
    uint8_t *p = (uint8_t *)c->wb.p + c->wb.len;
    p[0] = '[';
    p[1] = '"';
    memcpy(p + 2, head, hl);
    if (body > hl) memcpy(p + 2 + hl, payload, body - hl);
    p[2 + body] = '"';
    p[3 + body] = ']';
    for (size_t i = 0; i < plen; i++) p[i] ^= c->mask[i & 3];
    c->wb.len += plen;
    if (was_empty && c->state != S_CONNECTING) flush(c);
}

/* ------------------------------------------------------------------ mode logic */
static void on_open(conn_t *c);
static void on_msg(conn_t *c, uint64_t seq);

/* parse a SockJS array frame body a["m1:..","m2:.."] calling on_msg for each */
static void parse_array(conn_t *c, const char *p, size_t n) {
    size_t i = 1; /* skip 'a' */
    while (i < n) {
        if (p[i] == '"') {
            i++;
            uint64_t seq = 0;
            if (i < n && p[i] == 'm') {
                i++;
                while (i < n && p[i] >= '0' && p[i] <= '9') seq = seq * 10 + (p[i++] - '0');
            }
            while (i < n && p[i] != '"') {
                if (p[i] == '\\') i++;
                i++;
            }
            i++;
            on_msg(c, seq);
        } else
            i++;
    }
}

static void sockjs_frame(conn_t *c, const char *p, size_t n) {
    if (!n) return;
    switch (p[0]) {
    case 'o':
        if (c->state == S_WS_OPENWAIT) c->state = S_WS_OPEN;
        c->saw_open = 1;
        on_open(c);
        break;
    case 'h':
        break;
    case 'a':
        parse_array(c, p, n);
        break;
    case 'c':
        errors++;
        if (c->state == S_WS_OPEN) close_conn(c);
        break;
    default:
        errors++;
    }
}

static void ws_read(conn_t *c) {
    buf_t *b = &c->rb;
    for (;;) {
        if (c->state == S_CLOSED) return;
        char *p = b->p + b->off;
        size_t avail = b->len - b->off;
        if (c->state == S_WS_HANDSHAKE) {
            char *e = memmem(p, avail, "\r\n\r\n", 4);
            if (!e) return;
            if (avail < 12 || memcmp(p + 9, "101", 3)) {
                errors++;
                close_conn(c);
                n_opening--;
                return;
            }
            b->off += (e + 4 - p);
            c->state = S_WS_OPENWAIT;
            continue;
        }
        if (avail < 2) return;
        uint8_t *u = (uint8_t *)p;
        int op = u[0] & 0x0f;
        uint64_t plen = u[1] & 0x7f;
        size_t hl = 2;
        if (u[1] & 0x80) hl += 4; /* servers must not mask; tolerate */
        if (plen == 126) {
            if (avail < 4) return;
            plen = (u[2] << 8) | u[3];
            hl += 2;
        } else if (plen == 127) {
            if (avail < 10) return;
            plen = 0;
            for (int i = 0; i < 8; i++) plen = (plen << 8) | u[2 + i];
            hl += 8;
        }
        if (avail < hl + plen) return;
        b->off += hl + plen;
        if (op == 1 || op == 0 || op == 2) sockjs_frame(c, p + hl, plen);
        else if (op == 8) {
            errors++;
            close_conn(c);
            return;
        }
    }
}

/* ------------------------------------------------------------------ http */
static int chromium_headers = 0; /* --headers chromium */

static void http_request(conn_t *c, const char *verb, const char *transport, const char *body,
                         size_t blen) {
    char head[1536];
    int n;
    if (chromium_headers)
        n = snprintf(head, sizeof head,
                     "%s %s/000/%s/%s HTTP/1.1\r\n"
                     "Host: %s:%d\r\n"
                     "Connection: keep-alive\r\n"
                     "Content-Length: %zu\r\n"
                     "sec-ch-ua-platform: \"Linux\"\r\n"
                     "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                     "Gecko) HeadlessChrome/156.0.0.0 Safari/537.36\r\n"
                     "sec-ch-ua: \"Not:A-Brand\";v=\"8\", \"Chromium\";v=\"156\"\r\n"
                     "%s"
                     "sec-ch-ua-mobile: ?0\r\n"
                     "Accept: */*\r\n"
                     "Origin: http://%s:%d\r\n"
                     "Sec-Fetch-Site: same-origin\r\n"
                     "Sec-Fetch-Mode: cors\r\n"
                     "Sec-Fetch-Dest: empty\r\n"
                     "Referer: http://%s:%d/\r\n"
                     "Accept-Encoding: gzip, deflate, br, zstd\r\n"
                     "Accept-Language: en-US,en;q=0.9\r\n\r\n",
                     verb, svc, c->sid, transport, host, port, blen,
                     blen ? "Content-Type: text/plain;charset=UTF-8\r\n" : "", host, port, host,
                     port);
    else
        n = snprintf(head, sizeof head,
                     "%s %s/000/%s/%s HTTP/1.1\r\n"
                     "Host: %s:%d\r\n"
                     "Content-Type: text/plain;charset=UTF-8\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     verb, svc, c->sid, transport, host, port, blen);
    c->hdr_done = 0;
    c->status = 0;
    c->chunked = 0;
    c->conn_close = 0;
    c->body_until_close = 0;
    c->clen = -1;
    c->chunk_state = 0;
    c->resp_lines = 0;
    c->body.len = c->body.off = 0;
    if (c->fd < 0) {
        start_connect(c);
    } else
        c->state = S_HTTP;
    int was_empty = c->wb.off == c->wb.len;
    buf_add(&c->wb, head, n);
    if (blen) buf_add(&c->wb, body, blen);
    if (c->state != S_CONNECTING && was_empty) flush(c);
}

static void on_http_done(conn_t *c);

/* hand newline-terminated SockJS frames of the body to sockjs_frame */
static void body_lines(conn_t *c) {
    buf_t *b = &c->body;
    for (;;) {
        char *p = b->p + b->off;
        size_t avail = b->len - b->off;
        char *nl = memchr(p, '\n', avail);
        if (!nl) break;
        size_t n = nl - p;
        b->off += n + 1;
        if (n == 2048 && p[0] == 'h') continue; /* xhr_streaming prelude */
        c->resp_lines++;
        sockjs_frame(c, p, n);
        if (c->fd < 0) return;
    }
}

static void body_data(conn_t *c, const char *p, size_t n) {
    buf_add(&c->body, p, n);
    body_lines(c);
}

static int hdr_has(const char *h, size_t n, const char *name, const char *val) {
    /* case-insensitive search for "name: ...val" on one header line */
    size_t nl = strlen(name);
    const char *end = h + n;
    const char *line = h;
    while (line < end) {
        const char *eol = memmem(line, end - line, "\r\n", 2);
        if (!eol) eol = end;
        if ((size_t)(eol - line) > nl && !strncasecmp(line, name, nl) && line[nl] == ':') {
            if (!val) return 1;
            size_t vl = strlen(val);
            for (const char *q = line + nl + 1; q + vl <= eol; q++)
                if (!strncasecmp(q, val, vl)) return 1;
        }
        line = eol + 2;
    }
    return 0;
}

static long hdr_long(const char *h, size_t n, const char *name) {
    size_t nl = strlen(name);
    const char *end = h + n;
    const char *line = h;
    while (line < end) {
        const char *eol = memmem(line, end - line, "\r\n", 2);
        if (!eol) eol = end;
        if ((size_t)(eol - line) > nl && !strncasecmp(line, name, nl) && line[nl] == ':')
            return strtol(line + nl + 1, NULL, 10);
        line = eol + 2;
    }
    return -1;
}

static void http_finish(conn_t *c) {
    c->state = S_HTTP_IDLE;
    if (c->conn_close) close_conn(c);
    on_http_done(c);
}

static void http_read(conn_t *c) {
    buf_t *b = &c->rb;
    for (;;) {
        if (c->state != S_HTTP) return;
        char *p = b->p + b->off;
        size_t avail = b->len - b->off;
        if (!c->hdr_done) {
            char *e = memmem(p, avail, "\r\n\r\n", 4);
            if (!e) return;
            size_t hl = e + 4 - p;
            c->status = atoi(p + 9);
            c->chunked = hdr_has(p, hl, "Transfer-Encoding", "chunked");
            c->clen = hdr_long(p, hl, "Content-Length");
            c->conn_close = hdr_has(p, hl, "Connection", "close") || !memcmp(p, "HTTP/1.0", 8);
            c->hdr_done = 1;
            b->off += hl;
            if (c->status == 204 || c->status == 304) c->clen = 0;
            if (!c->chunked && c->clen < 0) {
                c->body_until_close = 1;
                c->conn_close = 1;
            }
            continue;
        }
        if (c->chunked) {
            if (c->chunk_state == 0 || c->chunk_state == 2 || c->chunk_state == 3) {
                char *e = memmem(p, avail, "\r\n", 2);
                if (!e) return;
                size_t ll = e + 2 - p;
                if (c->chunk_state == 0) {
                    c->chunk_left = strtol(p, NULL, 16);
                    c->chunk_state = c->chunk_left ? 1 : 3;
                } else if (c->chunk_state == 2) {
                    c->chunk_state = 0;
                } else { /* trailer: empty line ends the message */
                    b->off += ll;
                    if (ll == 2) {
                        http_finish(c);
                        return;
                    }
                    continue;
                }
                b->off += ll;
                continue;
            }
            if (!avail) return;
            size_t take = avail < (size_t)c->chunk_left ? avail : (size_t)c->chunk_left;
            b->off += take;
            c->chunk_left -= take;
            if (!c->chunk_left) c->chunk_state = 2;
            body_data(c, p, take);
            continue;
        }
        if (c->body_until_close) {
            if (!avail) return;
            b->off += avail;
            body_data(c, p, avail);
            continue;
        }
        size_t take = avail < (size_t)c->clen ? avail : (size_t)c->clen;
        if (take) {
            b->off += take;
            c->clen -= take;
            body_data(c, p, take);
            if (c->state != S_HTTP) return;
        }
        if (c->clen == 0) {
            http_finish(c);
            return;
        }
        return;
    }
}

/* ------------------------------------------------------------------ modes */
static void record_lat(double us) {
    if (!measuring) return;
    if (nlat < caplat) lat[nlat++] = us;
}

static void open_more(void);

static void stream_sender_go(void) {
    conn_t *s = &conns[1];
    if (!sender_idle || s->fd == -2) return;
    if (stream_sent - stream_recv + batch > (uint64_t)window_) return;
    /* ["m<seq>:pad", ... batch] */
    static buf_t body;
    body.len = body.off = 0;
    buf_add(&body, "[", 1);
    for (int i = 0; i < batch; i++) {
        char head[32];
        int hl = snprintf(head, sizeof head, "%s\"m%llu:", i ? "," : "",
                          (unsigned long long)++stream_sent);
        buf_add(&body, head, hl);
        int pad = msize - (hl - (i ? 3 : 2));
        if (pad > 0) buf_add(&body, payload, pad);
        buf_add(&body, "\"", 1);
    }
    buf_add(&body, "]", 1);
    sender_idle = 0;
    http_request(s, "POST", "xhr_send", body.p, body.len);
}

/* POST xhr_send ["m<seq>:<pad>"] (msize characters of message) on c */
static void xhr_send_one(conn_t *c, uint64_t seq) {
    char m[64];
    static buf_t body;
    body.len = body.off = 0;
    int hl = snprintf(m, sizeof m, "[\"m%llu:", (unsigned long long)seq);
    buf_add(&body, m, hl);
    if (msize > hl - 2) buf_add(&body, payload, msize - (hl - 2));
    buf_add(&body, "\"]", 2);
    http_request(c, "POST", "xhr_send", body.p, body.len);
}

/* xhr-client: conns[2i] polls, conns[2i+1] posts xhr_send for the same session */
static void client_send_next(conn_t *poller) {
    conn_t *s = poller + 1;
    if (!poller->echoed || s->state == S_HTTP || s->state == S_CONNECTING) return;
    poller->echoed = 0;
    poller->t_sent = now();
    xhr_send_one(s, ++poller->seq);
}

static void on_open(conn_t *c) {
    n_open++;
    n_opening--;
    c->outstanding = 0;
    switch (mode) {
    case M_WS_ECHO:
        c->t_sent = now();
        c->outstanding = 1;
        ws_send_msg(c, ++c->seq);
        break;
    case M_XHR_POLL:
    case M_XHR_CLIENT:
        break; /* on_http_done moves on */
    case M_XHR_STREAM:
        if (c->idx == 0 && n_open == 1) {
            /* receiver is up: start the sender on the same session */
            conn_t *s = &conns[1];
            memcpy(s->sid, c->sid, sizeof s->sid);
            s->role = R_SEND;
            sender_idle = 1;
            stream_sender_go();
        }
        break;
    default:
        break;
    }
    open_more();
}

static void bcast_try_send(void) {
    conn_t *s = &conns[0];
    while (n_open >= nconns && bcast_sent - bcast_done < (uint64_t)window_ &&
           s->state == S_WS_OPEN) {
        bcast_sent++;
        bcast_cnt[bcast_sent % RING] = 0;
        ws_send_msg(s, bcast_sent);
    }
}

static void on_msg(conn_t *c, uint64_t seq) {
    switch (mode) {
    case M_WS_ECHO: {
        double t = now();
        if (measuring) count++;
        record_lat((t - c->t_sent) * 1e6);
        c->t_sent = t;
        ws_send_msg(c, ++c->seq);
        break;
    }
    case M_WS_BCAST:
        if (measuring) count++;
        if (seq && seq <= bcast_sent) {
            if (++bcast_cnt[seq % RING] == (uint32_t)bcast_receivers) {
                bcast_done++;
                bcast_try_send();
            }
        }
        break;
    case M_XHR_POLL:
        break;
    case M_XHR_CLIENT:
        if (c->idx % 2 == 0 && seq && seq == c->seq) {
            double t = now();
            if (measuring) count++;
            record_lat((t - c->t_sent) * 1e6);
            c->echoed = 1;
        }
        break;
    case M_XHR_STREAM:
        if (c->idx == 0) {
            stream_recv++;
            if (measuring) count++;
            stream_sender_go();
        }
        break;
    }
}

static void on_http_done(conn_t *c) {
    switch (mode) {
    case M_XHR_POLL:
        if (c->role == R_OPEN) {
            if (!c->saw_open) { errors++; }
        } else if (measuring)
            count++;
        if (c->status >= 300) errors++;
        if (c->role == R_OPEN || c->role == R_POLL) {
            c->role = R_SEND;
            c->t_sent = now();
            xhr_send_one(c, ++c->seq);
        } else {
            c->role = R_POLL;
            http_request(c, "POST", "xhr", NULL, 0);
        }
        break;
    case M_XHR_CLIENT:
        if (c->status >= 300) errors++;
        if (c->idx % 2 == 0) {
            if (c->role == R_OPEN) {
                if (!c->saw_open) errors++;
                memcpy(conns[c->idx + 1].sid, c->sid, sizeof c->sid);
                conns[c->idx + 1].role = R_SEND;
                c->echoed = 1; /* nothing in flight yet */
            }
            /* as sockjs-client: a new poll at once, held until there is news */
            c->role = R_POLL;
            http_request(c, "POST", "xhr", NULL, 0);
            client_send_next(c);
        } else {
            client_send_next(c - 1);
        }
        break;
    case M_XHR_STREAM:
        if (c->idx == 0) {
            /* streaming response ended (limit reached): reopen */
            http_request(c, "POST", "xhr_streaming", NULL, 0);
        } else {
            if (c->status != 204 && c->status != 200) errors++;
            sender_idle = 1;
            stream_sender_go();
        }
        break;
    }
}

static void open_one(conn_t *c) {
    n_opening++;
    switch (mode) {
    case M_WS_ECHO:
    case M_WS_BCAST:
    case M_WS_IDLE:
        ws_begin(c);
        break;
    case M_XHR_POLL:
    case M_XHR_CLIENT:
        rand_sid(c);
        c->role = R_OPEN;
        http_request(c, "POST", "xhr", NULL, 0);
        break;
    case M_XHR_STREAM:
        if (c->idx == 0) {
            rand_sid(c);
            c->role = R_STREAM;
            http_request(c, "POST", "xhr_streaming", NULL, 0);
        }
        break;
    }
}

static int target_open = 0;
static void open_more(void) {
    int step = mode == M_XHR_CLIENT ? 2 : 1; /* xhr-client: pollers open sessions */
    while (next_to_open < target_open && n_opening < max_opening)
        open_one(&conns[step * next_to_open++]);
}

static void handle(conn_t *c, uint32_t ev) {
    if (c->state == S_CONNECTING) {
        if (ev & (EPOLLERR | EPOLLHUP)) {
            errors++;
            close_conn(c);
            n_opening--;
            return;
        }
        if (ev & EPOLLOUT) {
            int err = 0;
            socklen_t l = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
            if (err) {
                errors++;
                close_conn(c);
                n_opening--;
                return;
            }
            c->state = (mode == M_XHR_POLL || mode == M_XHR_STREAM || mode == M_XHR_CLIENT)
                           ? S_HTTP : S_WS_HANDSHAKE;
            set_events(c, EPOLLIN);
            flush(c);
        }
        if (!(ev & EPOLLIN)) return;
    }
    if ((ev & EPOLLOUT) && c->fd >= 0) {
        flush(c);
        if (c->fd >= 0 && c->wb.off == c->wb.len) set_events(c, EPOLLIN);
    }
    if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->fd < 0) return;
    for (int rounds = 0; rounds < 64; rounds++) {
        buf_reserve(&c->rb, 65536);
        ssize_t n = read(c->fd, c->rb.p + c->rb.len, c->rb.cap - c->rb.len);
        if (n < 0) {
            if (errno == EAGAIN) return;
            errors++;
            close_conn(c);
            return;
        }
        if (n == 0) {
            /* peer closed */
            if (c->state == S_HTTP && c->hdr_done && c->body_until_close) {
                http_finish(c);
                return;
            }
            if (c->state == S_HTTP_IDLE) {
                close_conn(c);
                return;
            }
            if (c->state == S_HTTP && !c->hdr_done && c->rb.len == c->rb.off) {
                /* keep-alive connection closed under us: retry on a new one */
                close_conn(c);
                errors++;
                return;
            }
            errors++;
            close_conn(c);
            return;
        }
        c->rb.len += n;
        if (c->state == S_HTTP_IDLE) { c->rb.len = c->rb.off = 0; errors++; continue; }
        if (c->state == S_HTTP) http_read(c);
        else ws_read(c);
        if (c->fd < 0) return;
        if ((size_t)n < 65536) return;
    }
}

static void run_loop(double until, int (*done)(void)) {
    struct epoll_event evs[512];
    while (now() < until) {
        if (done && done()) return;
        int ms = (int)((until - now()) * 1000) + 1;
        if (ms > 100) ms = 100;
        int n = epoll_wait(ep, evs, 512, ms);
        for (int i = 0; i < n; i++) handle(evs[i].data.ptr, evs[i].events);
    }
}

static int all_open(void) { return n_open >= target_open; }

static double pct(double *a, size_t n, double q) {
    if (!n) return 0;
    size_t i = (size_t)(q * (n - 1) + 0.5);
    return a[i];
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *mode_name(void) {
    const char *names[] = {"ws-echo", "ws-bcast", "xhr-poll", "xhr-stream", "ws-idle",
                           "xhr-client"};
    return names[mode];
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr,
                "usage: loadgen ws-echo|ws-bcast|xhr-poll|xhr-client|xhr-stream|ws-idle [--port N] "
                "[--prefix /echo] [--conns N] [--size B] [--duration S] [--warmup S] "
                "[--server-pid PID] [--window N] [--batch N] [--warm N] [--settle S] "
                "[--headers minimal|chromium]\n");
        return 2;
    }
    const char *m = argv[1];
    if (!strcmp(m, "ws-echo")) mode = M_WS_ECHO;
    else if (!strcmp(m, "ws-bcast")) mode = M_WS_BCAST;
    else if (!strcmp(m, "xhr-poll")) mode = M_XHR_POLL;
    else if (!strcmp(m, "xhr-stream")) mode = M_XHR_STREAM;
    else if (!strcmp(m, "ws-idle")) mode = M_WS_IDLE;
    else if (!strcmp(m, "xhr-client")) mode = M_XHR_CLIENT;
    else { fprintf(stderr, "unknown mode %s\n", m); return 2; }
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port")) port = atoi(v);
        else if (!strcmp(k, "--host")) host = v;
        else if (!strcmp(k, "--prefix")) svc = v;
        else if (!strcmp(k, "--conns")) nconns = atoi(v);
        else if (!strcmp(k, "--size")) msize = atoi(v);
        else if (!strcmp(k, "--duration")) duration = atof(v);
        else if (!strcmp(k, "--warmup")) warmup = atof(v);
        else if (!strcmp(k, "--settle")) settle = atof(v);
        else if (!strcmp(k, "--server-pid")) server_pid = atoi(v);
        else if (!strcmp(k, "--window")) window_ = atoi(v);
        else if (!strcmp(k, "--batch")) batch = atoi(v);
        else if (!strcmp(k, "--warm")) warm_conns = atoi(v);
        else if (!strcmp(k, "--headers")) {
            if (strcmp(v, "chromium") && strcmp(v, "minimal")) {
                fprintf(stderr, "--headers is chromium or minimal\n");
                return 2;
            }
            chromium_headers = !strcmp(v, "chromium");
        }
        else { fprintf(stderr, "unknown option %s\n", k); return 2; }
    }
    if (strcmp(host, "127.0.0.1") && strcmp(host, "localhost")) {
        fprintf(stderr, "loadgen only targets 127.0.0.1\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    srand(getpid() ^ (unsigned)time(NULL));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);

    payload = malloc(msize + 64);
    for (int i = 0; i < msize + 64; i++) payload[i] = 'a' + i % 26;
    lat = malloc(sizeof(double) * caplat);

    ep = epoll_create1(0);
    if (mode == M_XHR_STREAM) nconns = 1;
    nall = nconns + (mode == M_XHR_STREAM ? 1 : 0) + (mode == M_WS_IDLE ? warm_conns : 0)
           + (mode == M_XHR_CLIENT ? nconns : 0);
    conns = calloc(nall, sizeof(conn_t));
    for (int i = 0; i < nall; i++) {
        conns[i].idx = i;
        conns[i].fd = -1;
        conns[i].state = S_CLOSED;
    }
    bcast_receivers = nconns;

    double t0 = now();
    long rss0 = 0, rss1 = 0;
    double open_time = 0;
    if (mode == M_WS_IDLE) {
        target_open = warm_conns;
        open_more();
        run_loop(t0 + 30, all_open);
        run_loop(now() + 0.5, NULL);
        rss0 = proc_rss_kib(server_pid);
        double t1 = now();
        double c0 = proc_cpu(server_pid);
        target_open = nall;
        open_more();
        run_loop(t1 + 60, all_open);
        open_time = now() - t1;
        double c1 = proc_cpu(server_pid);
        run_loop(now() + settle, NULL);
        rss1 = proc_rss_kib(server_pid);
        int opened = n_open - warm_conns;
        printf("{\"mode\":\"%s\",\"conns\":%d,\"opened\":%d,\"rss0_kib\":%ld,\"rss1_kib\":%ld,"
               "\"kib_per_session\":%.3f,\"open_s\":%.3f,\"opens_per_s\":%.1f,"
               "\"server_cpu\":%.3f,\"errors\":%llu}\n",
               mode_name(), nconns, opened, rss0, rss1,
               opened > 0 ? (double)(rss1 - rss0) / opened : -1, open_time,
               opened / (open_time > 0 ? open_time : 1), c1 - c0, (unsigned long long)errors);
        return 0;
    }

    target_open = (mode == M_XHR_STREAM) ? 1 : nconns;
    open_more();
    run_loop(t0 + 30, all_open);
    if (n_open < target_open) {
        printf("{\"mode\":\"%s\",\"error\":\"only %d of %d sessions opened\",\"errors\":%llu}\n",
               mode_name(), n_open, target_open, (unsigned long long)errors);
        return 1;
    }
    if (mode == M_WS_BCAST) bcast_try_send();
    run_loop(now() + warmup, NULL);
    /* measured window */
    uint64_t err0 = errors;
    measuring = 1;
    count = 0;
    nlat = 0;
    double b0[2], st0[2], b1[2], st1[2];
    cores_busy(b0, st0);
    double ss0, ss1;
    double sc0 = proc_cpu_split(server_pid, &ss0), lc0 = self_cpu();
    t_measure_start = now();
    run_loop(t_measure_start + duration, NULL);
    t_measure_end = now();
    double sc1 = proc_cpu_split(server_pid, &ss1), lc1 = self_cpu();
    cores_busy(b1, st1);
    measuring = 0;
    double wall = t_measure_end - t_measure_start;
    double scpu = sc1 - sc0, lcpu = lc1 - lc0;
    qsort(lat, nlat, sizeof(double), cmpd);
    printf("{\"mode\":\"%s\",\"conns\":%d,\"size\":%d,\"wall\":%.3f,\"count\":%llu,"
           "\"rate\":%.1f,\"server_cpu\":%.3f,\"per_cpu\":%.1f,\"server_cpu_share\":%.3f,"
           "\"loadgen_cpu_share\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"errors\":%llu,"
           "\"core0_busy\":%.3f,\"core1_busy\":%.3f,\"core0_other\":%.3f,\"core1_other\":%.3f,"
           "\"steal\":%.3f,\"server_sys\":%.3f}\n",
           mode_name(), nconns, msize, wall, (unsigned long long)count, count / wall, scpu,
           scpu > 0 ? count / scpu : 0, scpu / wall, lcpu / wall, pct(lat, nlat, 0.5),
           pct(lat, nlat, 0.99), (unsigned long long)(errors - err0), (b1[0] - b0[0]) / wall,
           (b1[1] - b0[1]) / wall, (b1[0] - b0[0] - scpu) / wall, (b1[1] - b0[1] - lcpu) / wall,
           (st1[0] - st0[0] + st1[1] - st0[1]) / wall, ss1 - ss0);
    return 0;
}
