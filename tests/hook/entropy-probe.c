/* tests/hook/run.sh: each way a program reaches the kernel's entropy, one per
 * argv[1]; under no-entropy.so each but "nonblock" must die (the shim's own
 * test: a shim that misses a way proves nothing about kdsafe) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	char b[8];
	const char *w = argc > 1 ? argv[1] : "";
	if (!strcmp(w, "getentropy")) return getentropy(b, sizeof(b)) != 0;
	if (!strcmp(w, "syscall")) return syscall(SYS_getrandom, b, sizeof(b), 0) < 0;
	if (!strcmp(w, "fopen")) return fopen("/dev/urandom", "r") == NULL;
	if (!strcmp(w, "openat")) return openat(AT_FDCWD, "/dev/random", O_RDONLY) < 0;
	if (!strcmp(w, "nonblock")) return getrandom(b, sizeof(b), GRND_NONBLOCK) >= 0;
	return 2;
}
