/* Unit tests for s3_parse.c: s3:// addresses, signed query strings,
 * ListObjectsV2 and error XML, multipart ETags (no server, no libcurl). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "s3_parse.h"

static void test_parse_url(void **state)
{
    (void)state;
    char *b, *k;
    ft_error e;
    assert_int_equal(ft_s3_parse_url("s3://my-bucket/a/b c.avro", &b, &k, &e), 0);
    assert_string_equal(b, "my-bucket");
    assert_string_equal(k, "a/b c.avro");
    free(b);
    free(k);
    assert_int_equal(ft_s3_parse_url("s3://bkt", &b, &k, &e), 0);
    assert_string_equal(b, "bkt");
    assert_string_equal(k, "");
    free(b);
    free(k);
    assert_int_equal(ft_s3_parse_url("s3://bkt/pre/", &b, &k, &e), 0);
    assert_string_equal(k, "pre/");
    free(b);
    free(k);

    assert_int_equal(ft_s3_parse_url("swift://c/o", &b, &k, &e), -1);
    assert_string_equal(e.msg, "swift://c/o: not an s3:// address");
    assert_null(b);
    assert_int_equal(ft_s3_parse_url("s3:///key", &b, &k, &e), -1);
    assert_string_equal(e.msg, "s3:///key: no bucket name (s3://BUCKET/KEY)");
    assert_int_equal(ft_s3_parse_url("s3://ab/k", &b, &k, &e), -1);
    assert_non_null(strstr(e.msg, "3 to 63 characters"));
    assert_int_equal(ft_s3_parse_url("s3://a b/k", &b, &k, &e), -1);
    assert_string_equal(e.msg, "s3://a b/k: 'a b' is not a bucket name");
    char longname[80] = "s3://";
    memset(longname + 5, 'x', 64);
    assert_int_equal(ft_s3_parse_url(longname, &b, &k, &e), -1);
}

static void test_query(void **state)
{
    (void)state;
    /* Sorted by name, encoded, bare names as "name=". */
    const char *kv[] = {"prefix", "a b/é", "list-type", "2",
                        "continuation-token", "x+y=z", "delimiter", "/"};
    char *q = ft_s3_query(kv, 4);
    assert_string_equal(q, "continuation-token=x%2By%3Dz&delimiter=%2F&"
                           "list-type=2&prefix=a%20b%2F%C3%A9");
    free(q);
    const char *up[] = {"uploads", NULL};
    q = ft_s3_query(up, 1);
    assert_string_equal(q, "uploads=");
    free(q);
    const char *part[] = {"uploadId", "Zm9v~-_.", "partNumber", "10"};
    q = ft_s3_query(part, 2);
    assert_string_equal(q, "partNumber=10&uploadId=Zm9v~-_.");
    free(q);
    q = ft_s3_query(NULL, 0);
    assert_string_equal(q, "");
    free(q);
}

static const char listing[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bkt</Name><Prefix>d/</Prefix><KeyCount>4</KeyCount>"
    "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
    "<IsTruncated>true</IsTruncated>"
    "<NextContinuationToken>tok&amp;1/2==</NextContinuationToken>"
    "<Contents><Key>d/z.avro</Key><ETag>\"abc\"</ETag><Size>3</Size></Contents>"
    "<Contents><Key>d/a &amp; b&lt;1&gt; &#233;&#x20AC;.avro</Key><Size>1</Size></Contents>"
    "<CommonPrefixes><Prefix>d/m/</Prefix></CommonPrefixes>"
    "<CommonPrefixes><Prefix>d/b/</Prefix></CommonPrefixes>"
    "</ListBucketResult>";

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void test_listing(void **state)
{
    (void)state;
    char **v = NULL, *next;
    size_t n = 0, cap = 0;
    int trunc;
    ft_error e;
    assert_int_equal(ft_s3_parse_listing(listing, strlen(listing), &v, &n, &cap,
                                         &trunc, &next, &e), 0);
    /* Keys and rolled-up prefixes together, in byte order. */
    assert_int_equal(n, 4);
    assert_string_equal(v[0], "d/a & b<1> \xc3\xa9\xe2\x82\xac.avro");
    assert_string_equal(v[1], "d/b/");
    assert_string_equal(v[2], "d/m/");
    assert_string_equal(v[3], "d/z.avro");
    assert_int_equal(trunc, 1);
    assert_string_equal(next, "tok&1/2==");
    free(next);

    /* A second page is appended after the first. */
    static const char last[] =
        "<ListBucketResult><Prefix/><IsTruncated>false</IsTruncated>"
        "<Contents><Key>e</Key></Contents></ListBucketResult>";
    assert_int_equal(ft_s3_parse_listing(last, strlen(last), &v, &n, &cap,
                                         &trunc, &next, &e), 0);
    assert_int_equal(n, 5);
    assert_string_equal(v[4], "e");
    assert_int_equal(trunc, 0);
    assert_null(next);

    /* Empty, and not a listing at all. */
    static const char empty[] = "<ListBucketResult><KeyCount>0</KeyCount>"
                                "<IsTruncated>false</IsTruncated></ListBucketResult>";
    assert_int_equal(ft_s3_parse_listing(empty, strlen(empty), &v, &n, &cap,
                                         &trunc, &next, &e), 0);
    assert_int_equal(n, 5);
    static const char error[] = "<Error><Code>AccessDenied</Code></Error>";
    assert_int_equal(ft_s3_parse_listing(error, strlen(error), &v, &n, &cap,
                                         &trunc, &next, &e), -1);
    assert_string_equal(e.msg, "the answer is not a bucket listing");
    static const char noname[] = "<ListBucketResult><Contents><Size>1</Size>"
                                 "</Contents></ListBucketResult>";
    assert_int_equal(ft_s3_parse_listing(noname, strlen(noname), &v, &n, &cap,
                                         &trunc, &next, &e), -1);
    free_names(v, n);
}

static void test_xml_text(void **state)
{
    (void)state;
    static const char err[] =
        "<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>BadDigest</Code>"
        "<Message>The Content-MD5 you specified did not match what we "
        "received.</Message><RequestId>tx1</RequestId></Error>";
    const char *end = err + strlen(err);
    char *t = ft_s3_xml_text(err, end, "Code");
    assert_string_equal(t, "BadDigest");
    free(t);
    t = ft_s3_xml_text(err, end, "Message");
    assert_string_equal(t, "The Content-MD5 you specified did not match what "
                           "we received.");
    free(t);
    assert_null(ft_s3_xml_text(err, end, "Key"));
    /* A tag is not a prefix of a longer one. */
    static const char up[] = "<R><UploadIdMarker>x</UploadIdMarker>"
                             "<UploadId>id-1</UploadId></R>";
    t = ft_s3_xml_text(up, up + strlen(up), "UploadId");
    assert_string_equal(t, "id-1");
    free(t);
    /* Unterminated: nothing. */
    static const char cut[] = "<R><Code>Slow";
    assert_null(ft_s3_xml_text(cut, cut + strlen(cut), "Code"));
}

static void test_etag(void **state)
{
    (void)state;
    assert_int_equal(ft_s3_etag_parts("0732917abc3288784e318ac0aab1757a"), 0);
    assert_int_equal(ft_s3_etag_parts("0732917abc3288784e318ac0aab1757a-2"), 2);
    assert_int_equal(ft_s3_etag_parts("0732917abc3288784e318ac0aab1757a-10000"), 10000);
    assert_int_equal(ft_s3_etag_parts("0732917abc3288784e318ac0aab1757a-0"), -1);
    assert_int_equal(ft_s3_etag_parts("0732917abc3288784e318ac0aab1757a-2x"), -1);
    assert_int_equal(ft_s3_etag_parts("0732917abc3288784e318ac0aab1757"), -1);
    assert_int_equal(ft_s3_etag_parts("g732917abc3288784e318ac0aab1757a"), -1);
    assert_int_equal(ft_s3_etag_parts(""), -1);

    /* MD5("part one"), MD5("part two"); the MD5 of their 32 bytes is
     * 0732917a... (all three from Python's hashlib). */
    const char parts[2][33] = {"3303e12af474ca11d85ed2966a932992",
                               "3ea4e15b91a17dc76052c56cfcdf67a2"};
    unsigned char in[32];
    assert_int_equal(ft_s3_etag_input(parts, 2, in), 0);
    assert_int_equal(in[0], 0x33);
    assert_int_equal(in[15], 0x92);
    assert_int_equal(in[16], 0x3e);
    assert_int_equal(in[31], 0xa2);
    const char bad[1][33] = {"3303e12af474ca11d85ed2966a93299z"};
    assert_int_equal(ft_s3_etag_input(bad, 1, in), -1);

    const unsigned char md5[16] = {0x07, 0x32, 0x91, 0x7a, 0xbc, 0x32, 0x88, 0x78,
                                   0x4e, 0x31, 0x8a, 0xc0, 0xaa, 0xb1, 0x75, 0x7a};
    char out[48];
    ft_s3_etag_format(md5, 2, out);
    assert_string_equal(out, "0732917abc3288784e318ac0aab1757a-2");
    ft_s3_etag_format(md5, 10000, out);
    assert_string_equal(out, "0732917abc3288784e318ac0aab1757a-10000");
    assert_int_equal(ft_s3_etag_parts(out), 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_listing),
        cmocka_unit_test(test_xml_text),
        cmocka_unit_test(test_etag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
