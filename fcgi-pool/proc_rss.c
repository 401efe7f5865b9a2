/*
 * proc_rss.c: a process's resident set (see proc_rss.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "proc_rss.h"

long long proc_rss_bytes(pid_t pid)
{
	char path[64], text[128];
	unsigned long size_pages, resident_pages;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	if (sscanf(text, "%lu %lu", &size_pages, &resident_pages) != 2)
		return -1;
	return (long long)resident_pages * sysconf(_SC_PAGESIZE);
}
