/* gai: call getaddrinfo(name, NULL, hints) once and print one JSON line.
 *
 * Usage: gai [-4] [-a] NAME
 *   -4  hints.ai_family = AF_INET (default AF_UNSPEC)
 *   -a  hints.ai_flags |= AI_ADDRCONFIG
 * hints.ai_socktype is always SOCK_STREAM, so each address appears once.
 *
 * Output: {"name":..., "result":"ok"|"error", "eai":"EAI_NONAME"|null,
 *          "ipv4":[...], "ipv6":[...], "elapsed_ms":N}
 * Addresses are printed in the order getaddrinfo returned them, duplicates kept.
 * Part of the dnsdoctor lab; built by dnsdoctor.lab.build against musl and glibc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *eai_name(int rc)
{
	switch (rc) {
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
	case EAI_SERVICE: return "EAI_SERVICE";
	case EAI_MEMORY: return "EAI_MEMORY";
	case EAI_SYSTEM: return "EAI_SYSTEM";
	case EAI_BADFLAGS: return "EAI_BADFLAGS";
	case EAI_OVERFLOW: return "EAI_OVERFLOW";
#ifdef EAI_NODATA
	case EAI_NODATA: return "EAI_NODATA";
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
#endif
	default: return "EAI_UNKNOWN";
	}
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_family(struct addrinfo *res, int family)
{
	char buf[INET6_ADDRSTRLEN];
	int first = 1;
	putchar('[');
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != family)
			continue;
		const void *src = family == AF_INET
			? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		if (!inet_ntop(family, src, buf, sizeof buf))
			continue;
		if (!first)
			putchar(',');
		json_str(buf);
		first = 0;
	}
	putchar(']');
}

int main(int argc, char **argv)
{
	struct addrinfo hints, *res = NULL;
	struct timespec t0, t1;
	int opt, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	while ((opt = getopt(argc, argv, "4a")) != -1) {
		switch (opt) {
		case '4': hints.ai_family = AF_INET; break;
		case 'a': hints.ai_flags |= AI_ADDRCONFIG; break;
		default:
			fprintf(stderr, "usage: %s [-4] [-a] NAME\n", argv[0]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s [-4] [-a] NAME\n", argv[0]);
		return 2;
	}
	const char *name = argv[optind];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = getaddrinfo(name, NULL, &hints, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long elapsed = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;

	printf("{\"name\":");
	json_str(name);
	if (rc == 0) {
		printf(",\"result\":\"ok\",\"eai\":null,\"ipv4\":");
		print_family(res, AF_INET);
		printf(",\"ipv6\":");
		print_family(res, AF_INET6);
		freeaddrinfo(res);
	} else {
		printf(",\"result\":\"error\",\"eai\":\"%s\",\"ipv4\":[],\"ipv6\":[]", eai_name(rc));
	}
	printf(",\"elapsed_ms\":%ld}\n", elapsed);
	return 0;
}
