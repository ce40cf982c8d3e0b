/* hash.h - the one string hash of the library: every table (the task id
 * index, uthash's policy table, the schema's key sets, the YAML reader's
 * anchors, map keys and key cache) hashes with it. Keys are short ("load",
 * "t123456", "transform[shard=1]"): a word-at-a-time multiply-xor with a
 * full final mix, so that keys differing in one character spread over the
 * low bits that pick a slot. */
#ifndef SYM_HASH_H
#define SYM_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash__load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint64_t hash__load32(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

static inline uint64_t hash_bytes(const char *key, size_t len)
{
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)len;
    size_t n = len;
    while (n > 8) {
        h = (h ^ hash__load64(p)) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    /* The last 1-8 bytes in fixed-size loads (overlapping when they must),
     * not a memcpy of variable length. */
    uint64_t w = 0;
    if (len >= 8)
        w = hash__load64((const unsigned char *)key + len - 8);
    else if (n >= 4)
        w = hash__load32(p) | hash__load32(p + n - 4) << 32;
    else if (n > 0)
        w = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    h = (h ^ w) * 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53u;
    h ^= h >> 33;
    return h;
}

#endif
