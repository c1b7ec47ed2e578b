/*
 * fuzz_datum.c - libFuzzer harness for the record decoder's projection
 * (datum.h ft4_decode_fields), differentially against the full decode.
 *
 * Input: bytes 0-3 are the field mask (little-endian; bits past the last
 * field ignored), byte 4 bit 0 chooses the step interpreter instead of
 * the unrolled canonical decoder, the rest is a run of encoded records.
 * Both decoders read the run record by record in lockstep; they must
 * agree on success or failure, the message and the position, and the
 * projected record must hold the full record's value in every masked
 * field and 0 / empty in every other.  The projection skips unwanted
 * fields without bounds checks while 1024 bytes remain, so seeds are
 * longer than that.
 *
 * The decode for a copy (ft4_decode_for_copy) reads the same run a third
 * time: the same result, message and position; it may call a record
 * copyable exactly when the plan is FT4's own encoding and the record's
 * bytes are what ft4_encode writes for the full record (as
 * ft4_encoded_canonical says too), and then holds the masked fields,
 * otherwise every field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datum.h"
#include "ft4.h"
#include "fuzz_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const ft4_record *full, const ft4_record *proj,
                        int f, int wanted)
{
    switch (ft4_fields[f].type) {
    case FT4_ARRAY: {
        const ft4_array *a = ft4_get_array(full, f), *b = ft4_get_array(proj, f);
        if (!wanted) {
            if (b->n != 0)
                abort();
        } else if (a->n != b->n ||
                   (a->n && memcmp(a->v, b->v, a->n * sizeof a->v[0]) != 0)) {
            abort();
        }
        break;
    }
    case FT4_STRING: {
        const ft4_tag *a = ft4_get_tag(full, f), *b = ft4_get_tag(proj, f);
        if (!wanted) {
            if (b->len != 0 || b->s[0] != '\0')
                abort();
        } else if (a->len != b->len || memcmp(a->s, b->s, a->len) != 0) {
            abort();
        }
        break;
    }
    default:
        if (ft4_get_int(proj, f) != (wanted ? ft4_get_int(full, f) : 0))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ft4_record full, proj;
    if (size < 5)
        return 0;
    uint32_t mask = fuzz_le32(data) & FT4_FIELDS_ALL;
    ft4_plan plan = *ft4_plan_canonical();
    if (data[4] & 1)
        plan.fast = 0;
    /* a copy of exactly the run, so that reads past it show */
    size_t len = size - 5;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 5, len);

    static ft4_record copy;
    static uint8_t enc[FT4_ENCODED_MAX];
    size_t pf = 0, pp = 0, pc = 0;
    for (int i = 0; i < 10000 && pf < len; i++) {
        const char *wf = NULL, *wp = NULL, *wc = NULL;
        size_t start = pf;
        int copyable = -1;
        ft4_record_init(&full);
        ft4_record_init(&proj);
        memset(&copy, 0xa5, sizeof copy);
        int rf = ft4_decode(&plan, buf, len, &pf, &full, &wf);
        int rp = ft4_decode_fields(&plan, mask, buf, len, &pp, &proj, &wp);
        int rc = ft4_decode_for_copy(&plan, mask, buf, len, &pc, &copy, &copyable, &wc);
        if (rf != rp || pf != pp || rf != rc || pf != pc)
            abort();
        if (rf < 0) {
            if (!wf || !wp || !wc || strcmp(wf, wp) != 0 || strcmp(wf, wc) != 0)
                abort();
            (void)ft4_encoded_canonical(buf + start, len - start);
            break;
        }
        fuzz_check_record(&full);
        for (int f = 0; f < FT4_F_COUNT; f++)
            check_field(&full, &proj, f, (mask >> f) & 1);
        size_t n = ft4_encode(&full, enc);
        int same = n == pf - start && memcmp(enc, buf + start, n) == 0;
        if (ft4_encoded_canonical(buf + start, pf - start) != same ||
            copyable != (same && ft4_plan_is_ft4(&plan)))
            abort();
        for (int f = 0; f < FT4_F_COUNT; f++)
            check_field(&full, &copy, f, !copyable || ((mask >> f) & 1));
    }
    free(buf);
    return 0;
}
