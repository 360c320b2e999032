#define _GNU_SOURCE /* strcasestr */
/* A minimal static Lambda function for measuring Init Duration from the outside: it records
 * CLOCK_MONOTONIC at main() entry and just before it sends its first /next, and answers every
 * event with both, in nanoseconds: {"main_ns":N,"next_ns":N}. Static and in C so that exec ->
 * main() costs as little as it can (no dynamic loader, no C++ runtime start-up). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int connect_api(void) {
    const char* api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) exit(70);
    char host[64];
    const char* colon = strrchr(api, ':');
    if (!colon || (size_t)(colon - api) >= sizeof host) exit(70);
    memcpy(host, api, (size_t)(colon - api));
    host[colon - api] = 0;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(colon + 1));
    inet_pton(AF_INET, host, &addr.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) exit(71);
    return fd;
}

static void send_all(int fd, const char* data, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
        if (w <= 0) exit(72);
        data += w;
        n -= (size_t)w;
    }
}

/* Reads one response; copies the request id header into id (if asked). */
static void read_reply(int fd, char* id, size_t id_size) {
    static char buf[1 << 16];
    size_t used = 0;
    char* end = NULL;
    while (!(end = strstr(buf, "\r\n\r\n"))) {
        ssize_t n = recv(fd, buf + used, sizeof buf - 1 - used, 0);
        if (n <= 0) exit(73);
        used += (size_t)n;
        buf[used] = 0;
    }
    size_t body_have = used - (size_t)(end + 4 - buf);
    const char* cl = strcasestr(buf, "Content-Length:");
    size_t len = cl && cl < end ? (size_t)atol(cl + 15) : 0;
    if (id) {
        const char* h = strcasestr(buf, "Lambda-Runtime-Aws-Request-Id:");
        if (!h || h > end) exit(74);
        h += 30;
        while (*h == ' ') ++h;
        size_t i = 0;
        while (h[i] && h[i] != '\r' && i + 1 < id_size) {
            id[i] = h[i];
            ++i;
        }
        id[i] = 0;
    }
    char sink[4096];
    while (body_have < len) {
        ssize_t n = recv(fd, sink, sizeof sink, 0);
        if (n <= 0) exit(75);
        body_have += (size_t)n;
    }
    memset(buf, 0, used + 1);
}

int main(void) {
    long long main_ns = now_ns();
    int fd = connect_api();
    static const char next[] =
        "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
    long long next_ns = now_ns();
    send_all(fd, next, sizeof next - 1);
    for (;;) {
        char id[128];
        read_reply(fd, id, sizeof id);
        char body[128], req[512];
        int blen =
            snprintf(body, sizeof body, "{\"main_ns\":%lld,\"next_ns\":%lld}", main_ns, next_ns);
        int rlen = snprintf(req, sizeof req,
                            "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: "
                            "x\r\nContent-Length: %d\r\n\r\n%s",
                            id, blen, body);
        send_all(fd, req, (size_t)rlen);
        read_reply(fd, NULL, 0);
        send_all(fd, next, sizeof next - 1);
    }
}
