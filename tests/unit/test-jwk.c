/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Public JWKs and the trust store: every key the library must refuse, one
 * row each, named by what is wrong; each hostile row differs from a row that
 * loads in one member only, so a refusal is for that member. Then the
 * forgery a small-order key allows, end to end. Over 600 lines because the
 * table is the point (one row per hostile key) and its fixed keys are long
 * base64url constants. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "error.h"
#include "jit-limits.h"
#include "json.h"
#include "jwk.h"
#include "jws.h"
#include "macro.h"
#include "test-util.h"

/* Fixed keys, generated once with python3-jwcrypto / openssl genrsa. */
#define ED_X "CqIP6p0AccUjwoJHC-xCmZCphLf2S4_ONRZGpnO1UM4"
#define ED_X31 "CqIP6p0AccUjwoJHC-xCmZCphLf2S4_ONRZGpnO1UA"
#define ED_X33 "CqIP6p0AccUjwoJHC-xCmZCphLf2S4_ONRZGpnO1UM4A"
#define ED_X_STD "CqIP6p0AccUjwoJHC+xCmZCphLf2S4/ONRZGpnO1UM4"
#define ED_X_PADDED ED_X "="
#define EC_X "WAyw-BASZ3KB61Y4W_K_LmKTV9D4x5_lRkLVzrG3YtM"
#define EC_Y "dj7MX3S5EMbDhSyvJoErY-nTyb9qeYswr8QI5MLaUtA"
#define EC_X31 "DLD4EBJncoHrVjhb8r8uYpNX0PjHn-VGQtXOsbdi0w"
#define EC_Y33 "AHY-zF90uRDGw4UsryaBK2Pp08m_anmLMK_ECOTC2lLQ"
/* RFC 7515 A.3's x with a y that is not the RFC's: not on the curve. */
#define EC_OFF_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define EC_OFF_Y "x_FEzRjWN0hGXUbyVBoH7rGfnpVGYzeGPXWxnq6n7g8"
/* The point with x = 5 (valid), and the same point with x written as 5 + p
 * (fits in 32 bytes, but is not a field element). */
#define EC_X5 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAU"
#define EC_X5P "_____wAAAAEAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAQ"
#define EC_Y5 "RZJDuapYGAb-kTvOmYF63hHKUDxk2aPFM0FcCDJI-8w"
#define ZERO32 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define P384_X "KF6VNNJdyLq2UUZytx6e7Pt60qYBZGq0SYZyv3-tZ9D72RcNQFFDwV9GfLzUEMbo"
#define P384_Y "CmjfO_OKI-DvmNFc36CgbmofgJohwDKFFVZYqTRI6cEos3em3PsHCxo7--XmgEAG"
#define RSA_N                                                                                      \
        "3AgH1tt8Hi7KZllNRPr7qVjUcSpYIMGgw7GcnkHF9ezjLAtdMP3EtLx1-"                                \
        "RfuWBIEAOwBsNnUSQ7fzoRcYtnKfoeqgc"                                                        \
        "KjSL0HB7a7n1qBhVNEW656rPCqYFTr0MFiBSmaGaFP2nqRn2PcVmbkeVSoBLTIyajZZDoRyaoxWuR7v3A5LC2kDO" \
        "F3"                                                                                       \
        "gUihz_absOTQov3D3KaLQf3HuMMB-IsaB-B_riqej3CiegbWjVVi8NbwYVaX5hmxQ-wOTS-T_"                \
        "aINk4DQjgILTZrbty"                                                                        \
        "KP09UFA7lMOsssoux2Gk8_s-4MhidbeI7kFft2B0lnBykfnGijNfHaK-A5x0SbEkrE_B6R_Q"
#define RSA_N_1024                                                                                 \
        "q9hxfkNMOBJ7tUGBi9ORef31c4IlkIjAEenHugUabeO8LhFdIaKjUzbQZSMblyA7iLDuCxBZbakV6pTnYycoyVOl" \
        "oc"                                                                                       \
        "ZoXapB-l-odr5uYSOzHNDJj3k55_9AuDv0FRuPhvFuVj0tWPZEqA3X-T8RtEq2yeSNPu2VKrRAx7O5xQc"
#define RSA_N_2047                                                                                 \
        "ZsjjF7FYykDuFc4On-gdgGwOtlaf6KVWcv_"                                                      \
        "mLhP7fl4r05MS0e5IVLkkBXeek54E1cD3T9SwCXMy53IH7jnElAgNwV"                                  \
        "488D88ZwmmSwFx5hJWlm_"                                                                    \
        "80r68Dis3rybrCto3PQihCBGuTsUgKW80UAAdbKn5vsGaVhwxBRK1SU2XDVHURbPYyoVG"                    \
        "O0vHN3khzjtP5qiMQx43oYze7HB28dJVTnOes2inccSzkKILGzYyiONNXeEq0qjNSC6z7US6ISPLj3ajVo9LlFj9" \
        "GK"                                                                                       \
        "63sh3O6u3WWQIfDnzyHhlXMurqj6H7oojfTpnmihP1Gm_NcgqaUKFJQPz0n1qMXvgtVlFQSQ"
/* openssl genrsa -3 2048 */
#define RSA_N_E3                                                                                   \
        "-RSv-862_VWcOjf42qMlmeNGTmbtTVYxwewWHOn8KcXdECOZ8cZXk2_"                                  \
        "uUoBbim0uLp5gsmrXtyVwzgssHJqNBK0MNk"                                                      \
        "9KxCwRWN2MOctVSiJ2uIzvHNp658mFSrvInXkk7GI5Iq_pOZ8bgWZT_"                                  \
        "P2FT1bFsLqBTyU2z2RVk4c96plt1qO37Ae-"                                                      \
        "BZiiEZfyqiX0kRLvC_KaK20Q6RvBQsp9Jd9g3NEsBGXpEjRZEMwkvzn6U6zrtln7sLDtN7Ip7zTq-"            \
        "Jjzdf0AnWKynX"                                                                            \
        "WhpiHU43gurksvYteJTU6MZbkFw7A_C0S4FLJGXHXnWY3mZHDCkB0WTFZ8WniuTyfkmzjtJQ"
#define RSA_N_8200                                                                                 \
        "wdXXUc_FxtLthsh4KfMJoheosibbU-"                                                           \
        "ZEh3tZhxa4iYCWTRlE1KP3pcZqfygHshOK39HbYSqmzGzcnFLGWH83hnSaAE"                             \
        "_8bWJVcdbFD7P0pw-un4muolgoy2toKQdlnmOBe9gUyd7TrSAaYUgcikkqnYS9glw7tVZaYZEdKr-"            \
        "Wxy40STNBx1Q5"                                                                            \
        "pJyLAhdXrOZ710UnmXoEYimiZRc_"                                                             \
        "eQc5SWdhhbeY0dI0NuHLlfRVUxelt8jquuDsPCsKvAdIPFpPRMdzUhbeN3U14n"                           \
        "h2R513ILPhFTibdQRNkPRAKVJHrGRwk4tjU0eQoxzycDUPoQvio02VX5JJtmO3yKHlv4AM4t7racKyGVze95PGTH" \
        "il"                                                                                       \
        "BVtqz3X2wB1SzTPQY5sgMnkQznOOx3uLGxYojHck_6l09cW93OnWEUI4G1FdeTogcVqNREJbd4hOG2HRv9xD2a_"  \
        "VOn"                                                                                      \
        "a3DbnL4xshHE88DAMQf8c3D4acgUtRj4iPhBAwfubxAo-_"                                           \
        "dPXCseOJTCweIlIOFbvGYbqS5dq4zQHwuKnmOEw5HUAi"                                             \
        "HSjKAXpgB7FgvKG0mTxN7iVOnLwvPzjVhNrMj_c0sy26l0zsEOz0JV_k7Ysyz3NCF3u2yiUwR4_"              \
        "qy5NEHcapjVgPqa"                                                                          \
        "2iKfdFNvY0CUOX0N_GTq3O0P0yb_"                                                             \
        "CFqz15yCmL4rA43m7CWyqqhKp5QLPtLzCQYB9gdyFis31srsKq01ER8uHAJp9I"                           \
        "_4ly4SSjaKO2DTPsZPhjZnUHt0atY3JMQYzIP1bzKuhsgPAqI5ITDOFuoN-"                              \
        "bLwBwH7of4K7p7p84Or9uG1aCCLLpX8"                                                          \
        "dlrLOD3Rys4W61ovR6oSBYJ23VStWN54n_"                                                       \
        "wT9ca41w09HN7gfjK060Py32Ob5tDTVqtCPqnV0L8OaAekQ6qRMa5G4W"                                 \
        "N3FIggofz19kGOOk_UV9lc448-uTfZYj8r8Ms3D2CubS1FhmjWcfLPdhs45Pffv_"                         \
        "7aKO9xghVQbFl2AaWjYJ4AkXXe"                                                               \
        "BJMi_0X49BAjQkcVKuNhKuOE_CZxkswr0XqJdDXUk7JAjojvO3OZR3KPn6zffIzbghjOyWrZ3e9Z-mHbe_0KY4r_" \
        "WT"                                                                                       \
        "rLcKjBLcNOKr6-W9-FrdPTWc8qa0-wbVdRmMqtm1Ff-"                                              \
        "ws6sJ1lAPL20dtfeChCqmaY2d6tRYYeoGHHnSAP4l6vqeDl"                                          \
        "_LGsqs-492iTm8EsgzAMbZXB4XmFt13MCTSIsfMN-IQkZ9QhtSyzkNz4wyVbTBUfwa6_7is2U3nGXAnOSE6-"     \
        "gU0sf9"                                                                                   \
        "yZQFkfQ1-D2Xf_XhY43AC4HcEIusWXFs8fo_f9Bn_"                                                \
        "C2RLyIcGHhvkaGUWAMzVF21NhjVUXsj1XA7PbXJACbLK5ijZR"                                        \
        "UiuyOuSMfOGW8N-mk"

/* The small-order points (common/token/ed25519-point.c): the 8 canonical encodings,
 * then the other encodings of the same points, then y >= p of other points,
 * a y no point has, and the test key plus the point of order 2. */
#define ED_IDENTITY "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ED_ORDER2 "7P_______________________________________38"
#define ED_ORDER4A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ED_ORDER4B "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA"
#define ED_ORDER8A "JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_AU"
#define ED_ORDER8B "JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_IU"
#define ED_ORDER8C "xxdqcD1N2E-6PAt2DRBnDyogU_osOczGTsf9d5KsA3o"
#define ED_ORDER8D "xxdqcD1N2E-6PAt2DRBnDyogU_osOczGTsf9d5KsA_o"
#define ED_IDENTITY_NEG0 "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA"
#define ED_ORDER2_NEG0 "7P________________________________________8"
#define ED_Y_P "7f_______________________________________38"
#define ED_Y_P_SIGN "7f________________________________________8"
#define ED_Y_P1 "7v_______________________________________38"
#define ED_Y_P1_SIGN "7v________________________________________8"
#define ED_Y_P2 "7________________________________________38"
#define ED_Y_MAX "_________________________________________38"
#define ED_Y2 "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ED_X_T2 "413wFWL_jjrcPX249BO9Zm9We0gJtHAxyum5WYxKrzE"
/* A 2048-bit modulus of two primes k·M + (65537^a mod M), M = 167#: the
 * structure of CVE-2017-15361 (ROCA), made by tests/tools/make-roca-modulus.py
 * (seed 15361). */
#define RSA_N_ROCA                                                                                 \
        "ubr7gYkMdx9mBlpObx8bemYt3AQncaD8XKJqKJYkViYdfpqkiWvsYMxSSZp8CXGw9ZzD86pgbndpyqIxn-syY6"   \
        "-6zUD70-83UzDrXWJLiiF8fvkpmg3BgAzPK153aHr5aqZqd-qa6LkN2XyiCZNlhlefJy5ZSoBwruGP3jnodUnO"   \
        "O4ht9oyatId_cUyPm7bZIjZKJ_g2xYktAPO9VgJ8AQ1PeI_Z7ETpwKR4C7BYenQuctBtWrYFZGEY1vpVwJqu-o"   \
        "m47_v4tiiNb7_3m3p1ESFlAbEkI4WsDIljjr_-gE1Wnl-4q9e928j2_DoJwgX4EehMx8WPS6jf4QjLL_xnNQ"

/* Rows are written with ' for " so each fits on one line; unquote() swaps. */
#define OKP(extra) "{'kty':'OKP','crv':'Ed25519','x':'" ED_X "'" extra "}"
#define EC(extra) "{'kty':'EC','crv':'P-256','x':'" EC_X "','y':'" EC_Y "'" extra "}"
#define RSA(extra) "{'kty':'RSA','n':'" RSA_N "','e':'AQAB'" extra "}"
#define OKPX(x) "{'kty':'OKP','crv':'Ed25519','x':'" x "','alg':'EdDSA'" KID "}"
#define KID ",'kid':'k1'"
#define KID16 "0123456789abcdef"
#define KID128 KID16 KID16 KID16 KID16 KID16 KID16 KID16 KID16

struct jwk_case {
        const char *name;
        const char *json;
        enum jit_reason reason; /* JIT_REASON_NONE: must load */
        enum jws_alg alg;       /* for rows that load */
        const char *kid;        /* for rows that load; NULL: "k1" */
        const char *says;       /* for rows refused: in the message, when set */
};

static const struct jwk_case jwk_cases[] = {
        /* Positive controls: each hostile row below is one of these with one change. */
        {"okp valid", OKP(",'alg':'EdDSA'" KID), JIT_REASON_NONE, JWS_ALG_EDDSA},
        {"ec valid", EC(",'alg':'ES256'" KID), JIT_REASON_NONE, JWS_ALG_ES256},
        {"rsa valid rs256", RSA(",'alg':'RS256'" KID), JIT_REASON_NONE, JWS_ALG_RS256},
        {"rsa valid ps256", RSA(",'alg':'PS256'" KID), JIT_REASON_NONE, JWS_ALG_PS256},
        {"okp use sig", OKP(",'alg':'EdDSA','use':'sig'" KID), JIT_REASON_NONE, JWS_ALG_EDDSA},
        {"okp alg Ed25519 (RFC 9864)", OKP(",'alg':'Ed25519'" KID), JIT_REASON_NONE, JWS_ALG_EDDSA},
        {"okp key_ops [verify]", OKP(",'alg':'EdDSA','key_ops':['verify']" KID), JIT_REASON_NONE,
         JWS_ALG_EDDSA},
        {"rsa use sig, key_ops [verify]",
         RSA(",'alg':'PS256','use':'sig','key_ops':['verify']" KID), JIT_REASON_NONE,
         JWS_ALG_PS256},
        {"rsa e=3 (odd, > 1)", "{'kty':'RSA','n':'" RSA_N_E3 "','e':'Aw','alg':'RS256'" KID "}",
         JIT_REASON_NONE, JWS_ALG_RS256},
        {"kid of 128 bytes", OKP(",'alg':'EdDSA','kid':'" KID128 "'"), JIT_REASON_NONE,
         JWS_ALG_EDDSA, KID128},
        {"ec x=5 canonical",
         "{'kty':'EC','crv':'P-256','x':'" EC_X5 "','y':'" EC_Y5 "','alg':'ES256'" KID "}",
         JIT_REASON_NONE, JWS_ALG_ES256},

        /* kty */
        {"kty missing", "{'crv':'Ed25519','x':'" ED_X "','alg':'EdDSA'" KID "}", JIT_REASON_KEY},
        {"kty oct (symmetric)", "{'kty':'oct','k':'" ZERO32 "','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        /* jwk.c refuses private/symmetric members ("k") before anything else … */
        {"kty oct with k and HS256", "{'kty':'oct','k':'" ZERO32 "','alg':'HS256'" KID "}",
         JIT_REASON_KEY},
        /* … and the alg before the key type */
        {"kty oct without k, HS256", "{'kty':'oct','alg':'HS256'" KID "}", JIT_REASON_ALG_HMAC},
        {"kty lower case okp", "{'kty':'okp','crv':'Ed25519','x':'" ED_X "','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        {"kty not a string", "{'kty':1,'crv':'Ed25519','x':'" ED_X "','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},

        /* OKP */
        {"okp crv X25519", "{'kty':'OKP','crv':'X25519','x':'" ED_X "','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        {"okp crv Ed448", "{'kty':'OKP','crv':'Ed448','x':'" ED_X "','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        {"okp crv missing", "{'kty':'OKP','x':'" ED_X "','alg':'EdDSA'" KID "}", JIT_REASON_KEY},
        {"okp x 31 bytes", "{'kty':'OKP','crv':'Ed25519','x':'" ED_X31 "','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        {"okp x 33 bytes", "{'kty':'OKP','crv':'Ed25519','x':'" ED_X33 "','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        {"okp x missing", "{'kty':'OKP','crv':'Ed25519','alg':'EdDSA'" KID "}", JIT_REASON_KEY},
        {"okp x empty", "{'kty':'OKP','crv':'Ed25519','x':'','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        {"okp x not a string", "{'kty':'OKP','crv':'Ed25519','x':32,'alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        {"okp x base64 not url",
         "{'kty':'OKP','crv':'Ed25519','x':'" ED_X_STD "','alg':'EdDSA'" KID "}", JIT_REASON_KEY},
        {"okp x padded", "{'kty':'OKP','crv':'Ed25519','x':'" ED_X_PADDED "','alg':'EdDSA'" KID "}",
         JIT_REASON_KEY},
        {"okp private d", OKP(",'d':'" ZERO32 "','alg':'EdDSA'" KID), JIT_REASON_KEY},
        /* … the 8 points of small order: anyone can forge a signature for them */
        {"okp x identity (order 1)", OKPX(ED_IDENTITY), JIT_REASON_KEY, .says = "small order"},
        {"okp x (0,-1) (order 2)", OKPX(ED_ORDER2), JIT_REASON_KEY, .says = "small order"},
        {"okp x (sqrt(-1),0) sign clear (order 4)", OKPX(ED_ORDER4A), JIT_REASON_KEY,
         .says = "small order"},
        {"okp x (sqrt(-1),0) sign set (order 4)", OKPX(ED_ORDER4B), JIT_REASON_KEY,
         .says = "small order"},
        {"okp x order 8, y8 sign clear", OKPX(ED_ORDER8A), JIT_REASON_KEY, .says = "small order"},
        {"okp x order 8, y8 sign set", OKPX(ED_ORDER8B), JIT_REASON_KEY, .says = "small order"},
        {"okp x order 8, -y8 sign clear", OKPX(ED_ORDER8C), JIT_REASON_KEY, .says = "small order"},
        {"okp x order 8, -y8 sign set", OKPX(ED_ORDER8D), JIT_REASON_KEY, .says = "small order"},
        /* … their other encodings */
        {"okp x identity as -0", OKPX(ED_IDENTITY_NEG0), JIT_REASON_KEY, .says = "small order"},
        {"okp x (0,-1) as -0", OKPX(ED_ORDER2_NEG0), JIT_REASON_KEY, .says = "small order"},
        {"okp x y = p", OKPX(ED_Y_P), JIT_REASON_KEY, .says = "small order"},
        {"okp x y = p sign set", OKPX(ED_Y_P_SIGN), JIT_REASON_KEY, .says = "small order"},
        {"okp x y = p + 1", OKPX(ED_Y_P1), JIT_REASON_KEY, .says = "small order"},
        {"okp x y = p + 1 sign set", OKPX(ED_Y_P1_SIGN), JIT_REASON_KEY, .says = "small order"},
        /* … other points */
        {"okp x non-canonical y = p + 2", OKPX(ED_Y_P2), JIT_REASON_KEY, .says = "not canonical"},
        {"okp x non-canonical y = 2^255 - 1", OKPX(ED_Y_MAX), JIT_REASON_KEY,
         .says = "not canonical"},
        {"okp x not on the curve (y = 2)", OKPX(ED_Y2), JIT_REASON_KEY, .says = "not a point"},
        /* A small-order component loads, as libsodium's verifier accepts it:
         * only the secret of its prime-order part signs (ed25519-point.h). */
        {"okp x key + point of order 2", OKPX(ED_X_T2), JIT_REASON_NONE, JWS_ALG_EDDSA},

        /* EC */
        {"ec crv P-384",
         "{'kty':'EC','crv':'P-384','x':'" P384_X "','y':'" P384_Y "','alg':'ES256'" KID "}",
         JIT_REASON_KEY},
        {"ec crv secp256k1",
         "{'kty':'EC','crv':'secp256k1','x':'" EC_X "','y':'" EC_Y "','alg':'ES256'" KID "}",
         JIT_REASON_KEY},
        {"ec point not on curve",
         "{'kty':'EC','crv':'P-256','x':'" EC_OFF_X "','y':'" EC_OFF_Y "','alg':'ES256'" KID "}",
         JIT_REASON_KEY},
        {"ec point zero",
         "{'kty':'EC','crv':'P-256','x':'" ZERO32 "','y':'" ZERO32 "','alg':'ES256'" KID "}",
         JIT_REASON_KEY},
        {"ec x not reduced (x+p)",
         "{'kty':'EC','crv':'P-256','x':'" EC_X5P "','y':'" EC_Y5 "','alg':'ES256'" KID "}",
         JIT_REASON_KEY},
        {"ec x 31 bytes",
         "{'kty':'EC','crv':'P-256','x':'" EC_X31 "','y':'" EC_Y "','alg':'ES256'" KID "}",
         JIT_REASON_KEY},
        {"ec y 33 bytes",
         "{'kty':'EC','crv':'P-256','x':'" EC_X "','y':'" EC_Y33 "','alg':'ES256'" KID "}",
         JIT_REASON_KEY},
        {"ec y missing", "{'kty':'EC','crv':'P-256','x':'" EC_X "','alg':'ES256'" KID "}",
         JIT_REASON_KEY},
        {"ec private d", EC(",'d':'" ZERO32 "','alg':'ES256'" KID), JIT_REASON_KEY},

        /* RSA */
        {"rsa 1024-bit modulus",
         "{'kty':'RSA','n':'" RSA_N_1024 "','e':'AQAB','alg':'RS256'" KID "}", JIT_REASON_KEY},
        {"rsa 2047-bit modulus",
         "{'kty':'RSA','n':'" RSA_N_2047 "','e':'AQAB','alg':'RS256'" KID "}", JIT_REASON_KEY},
        {"rsa 8200-bit modulus",
         "{'kty':'RSA','n':'" RSA_N_8200 "','e':'AQAB','alg':'RS256'" KID "}", JIT_REASON_KEY},
        {"rsa even exponent", "{'kty':'RSA','n':'" RSA_N "','e':'AQAA','alg':'RS256'" KID "}",
         JIT_REASON_KEY},
        {"rsa exponent 1", "{'kty':'RSA','n':'" RSA_N "','e':'AQ','alg':'RS256'" KID "}",
         JIT_REASON_KEY},
        {"rsa exponent missing", "{'kty':'RSA','n':'" RSA_N "','alg':'RS256'" KID "}",
         JIT_REASON_KEY},
        {"rsa modulus missing", "{'kty':'RSA','e':'AQAB','alg':'RS256'" KID "}", JIT_REASON_KEY},
        {"rsa private d", RSA(",'d':'" ZERO32 "','alg':'RS256'" KID), JIT_REASON_KEY},
        {"rsa private p", RSA(",'p':'" ZERO32 "','alg':'RS256'" KID), JIT_REASON_KEY},
        {"rsa modulus with the ROCA fingerprint (RS256)",
         "{'kty':'RSA','n':'" RSA_N_ROCA "','e':'AQAB','alg':'RS256'" KID "}", JIT_REASON_KEY,
         .says = "ROCA"},
        {"rsa modulus with the ROCA fingerprint (PS256)",
         "{'kty':'RSA','n':'" RSA_N_ROCA "','e':'AQAB','alg':'PS256'" KID "}", JIT_REASON_KEY,
         .says = "ROCA"},

        /* alg: fixed by the key, so required and one we implement */
        {"alg missing", OKP(KID), JIT_REASON_KEY},
        {"alg not a string", OKP(",'alg':1" KID), JIT_REASON_KEY},
        {"alg none", OKP(",'alg':'none'" KID), JIT_REASON_ALG_NONE},
        {"alg None", OKP(",'alg':'None'" KID), JIT_REASON_ALG_NONE},
        {"alg HS256", OKP(",'alg':'HS256'" KID), JIT_REASON_ALG_HMAC},
        {"alg HS512", RSA(",'alg':'HS512'" KID), JIT_REASON_ALG_HMAC},
        {"alg ES384 on P-256", EC(",'alg':'ES384'" KID), JIT_REASON_ALG_UNKNOWN},
        {"alg RS512 on RSA", RSA(",'alg':'RS512'" KID), JIT_REASON_ALG_UNKNOWN},
        {"alg eddsa lower case", OKP(",'alg':'eddsa'" KID), JIT_REASON_ALG_UNKNOWN},
        {"alg RS256 on OKP", OKP(",'alg':'RS256'" KID), JIT_REASON_KEY},
        {"alg ES256 on OKP", OKP(",'alg':'ES256'" KID), JIT_REASON_KEY},
        {"alg EdDSA on EC", EC(",'alg':'EdDSA'" KID), JIT_REASON_KEY},
        {"alg PS256 on EC", EC(",'alg':'PS256'" KID), JIT_REASON_KEY},
        {"alg ES256 on RSA", RSA(",'alg':'ES256'" KID), JIT_REASON_KEY},

        /* kid and use */
        {"kid missing", OKP(",'alg':'EdDSA'"), JIT_REASON_KEY},
        {"kid not a string", OKP(",'alg':'EdDSA','kid':7"), JIT_REASON_KEY},
        {"kid null", OKP(",'alg':'EdDSA','kid':null"), JIT_REASON_KEY},
        {"kid empty", OKP(",'alg':'EdDSA','kid':''"), JIT_REASON_KEY},
        {"kid of 129 bytes", OKP(",'alg':'EdDSA','kid':'" KID128 "x'"), JIT_REASON_KEY},
        {"kid with a control character", OKP(",'alg':'EdDSA','kid':'a\\u0001b'"), JIT_REASON_KEY},
        {"use enc", OKP(",'alg':'EdDSA','use':'enc'" KID), JIT_REASON_KEY},
        {"use not a string", OKP(",'alg':'EdDSA','use':true" KID), JIT_REASON_KEY},
        {"use Sig (case)", OKP(",'alg':'EdDSA','use':'Sig'" KID), JIT_REASON_KEY,
         .says = "\"use\""},

        /* key_ops: only "verify" fits a trusted public key */
        {"key_ops [sign]", OKP(",'alg':'EdDSA','key_ops':['sign']" KID), JIT_REASON_KEY,
         .says = "\"sign\""},
        {"key_ops [verify, sign]", OKP(",'alg':'EdDSA','key_ops':['verify','sign']" KID),
         JIT_REASON_KEY, .says = "\"sign\""},
        {"key_ops [sign, verify] on RSA", RSA(",'alg':'RS256','key_ops':['sign','verify']" KID),
         JIT_REASON_KEY, .says = "\"sign\""},
        {"key_ops [encrypt]", RSA(",'alg':'RS256','key_ops':['encrypt']" KID), JIT_REASON_KEY,
         .says = "\"encrypt\""},
        {"key_ops [verify, decrypt]", RSA(",'alg':'PS256','key_ops':['verify','decrypt']" KID),
         JIT_REASON_KEY, .says = "\"decrypt\""},
        {"key_ops [verify, wrapKey]", RSA(",'alg':'RS256','key_ops':['verify','wrapKey']" KID),
         JIT_REASON_KEY, .says = "\"wrapKey\""},
        {"key_ops [unwrapKey]", RSA(",'alg':'RS256','key_ops':['unwrapKey']" KID), JIT_REASON_KEY,
         .says = "\"unwrapKey\""},
        {"key_ops [verify, deriveKey] on EC",
         EC(",'alg':'ES256','key_ops':['verify','deriveKey']" KID), JIT_REASON_KEY,
         .says = "\"deriveKey\""},
        {"key_ops [deriveBits]", EC(",'alg':'ES256','key_ops':['deriveBits']" KID), JIT_REASON_KEY,
         .says = "\"deriveBits\""},
        {"key_ops [] (no verify)", OKP(",'alg':'EdDSA','key_ops':[]" KID), JIT_REASON_KEY,
         .says = "does not list \"verify\""},
        {"key_ops [Verify] (case)", OKP(",'alg':'EdDSA','key_ops':['Verify']" KID), JIT_REASON_KEY,
         .says = "unknown operation"},
        {"key_ops [verify, verify]", OKP(",'alg':'EdDSA','key_ops':['verify','verify']" KID),
         JIT_REASON_KEY, .says = "twice"},
        {"key_ops a string", OKP(",'alg':'EdDSA','key_ops':'verify'" KID), JIT_REASON_KEY,
         .says = "array"},
        {"key_ops [1]", OKP(",'alg':'EdDSA','key_ops':[1]" KID), JIT_REASON_KEY, .says = "array"},
        {"key_ops null", OKP(",'alg':'EdDSA','key_ops':null" KID), JIT_REASON_KEY, .says = "array"},
        {"use sig, key_ops [encrypt]", OKP(",'alg':'EdDSA','use':'sig','key_ops':['encrypt']" KID),
         JIT_REASON_KEY, .says = "\"encrypt\""},
        {"use enc, key_ops [verify]", OKP(",'alg':'EdDSA','use':'enc','key_ops':['verify']" KID),
         JIT_REASON_KEY, .says = "\"use\""},

        /* not an object */
        {"jwk is an array", "['OKP']", JIT_REASON_KEY},
};

static char *unquote(const char *s) {
        char *t = strdup(s);

        assert_non_null(t);
        for (char *p = t; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return t;
}

static struct json_object *parse_row(const char *s) {
        _cleanup_free_ char *t = unquote(s);
        struct json_object *o = json_tokener_parse(t);

        if (!o)
                fail_msg("test table row is not JSON: %s", t);
        return o;
}

static void test_jwk_table(void **state) {
        unsigned failures = 0;

        for (size_t i = 0; i < ELEMENTSOF(jwk_cases); i++) {
                const struct jwk_case *c = &jwk_cases[i];
                _cleanup_json_ struct json_object *o = parse_row(c->json);
                struct jit_error err = {};
                struct jwk k = {};
                int r;

                r = jwk_from_json(o, &k, &err);
                if (c->reason == JIT_REASON_NONE) {
                        if (r < 0) {
                                print_error("FAIL %s: refused (%s: %s), expected to load\n",
                                            c->name, jit_reason_to_string(err.reason), err.message);
                                failures++;
                                continue;
                        }
                        if (k.alg != c->alg || !k.pkey || !streq_ptr(k.kid, c->kid ?: "k1")) {
                                print_error("FAIL %s: loaded with alg %d kid %s\n", c->name,
                                            (int) k.alg, strempty(k.kid));
                                failures++;
                        }
                        jwk_done(&k);
                        continue;
                }
                if (r >= 0) {
                        print_error("FAIL %s: accepted, expected %s\n", c->name,
                                    jit_reason_to_string(c->reason));
                        jwk_done(&k);
                        failures++;
                } else if (err.reason != c->reason || err.message[0] == '\0' ||
                           (c->says && !strstr(err.message, c->says))) {
                        print_error("FAIL %s: r=%d reason %s (%s), expected %s\n", c->name, r,
                                    jit_reason_to_string(err.reason), err.message,
                                    jit_reason_to_string(c->reason));
                        failures++;
                }
        }
        print_message("%zu JWK rows, %u failures\n", ELEMENTSOF(jwk_cases), failures);
        assert_int_equal(failures, 0);
}

/* Each error path must also work without a struct jit_error. */
static void test_jwk_null_error(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(jwk_cases); i++) {
                _cleanup_json_ struct json_object *o = parse_row(jwk_cases[i].json);
                struct jwk k = {};
                int r = jwk_from_json(o, &k, NULL);

                if (jwk_cases[i].reason == JIT_REASON_NONE) {
                        assert_int_equal(r, 0);
                        jwk_done(&k);
                } else
                        assert_true(r < 0);
        }
}

/* A store with one key of each algorithm. */
#define STORE_ALL                                                                                  \
        "{'keys':[" OKP(",'alg':'EdDSA','kid':'ed'") "," EC(                                       \
                ",'alg':'ES256','kid':'ec','use':'"                                                \
                "sig','key_ops':['verify']") "," RSA(",'alg':'RS256','kid':'rs'") "," RSA(",'alg'" \
                                                                                          ":'"     \
                                                                                          "PS256'" \
                                                                                          ",'kid'" \
                                                                                          ":'ps'") "]}"

static int store_parse(const char *s, struct trust_store **ret, struct jit_error *err) {
        _cleanup_free_ char *t = unquote(s);

        return trust_store_parse(t, strlen(t), ret, err);
}

static void test_trust_store_lookup(void **state) {
        static const struct {
                const char *kid;
                enum jws_alg alg;
                int type;
        } want[] = {
                {"ed", JWS_ALG_EDDSA, EVP_PKEY_ED25519},
                {"ec", JWS_ALG_ES256, EVP_PKEY_EC},
                {"rs", JWS_ALG_RS256, EVP_PKEY_RSA},
                {"ps", JWS_ALG_PS256, EVP_PKEY_RSA},
        };
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        struct jit_error err = {};

        assert_int_equal(store_parse(STORE_ALL, &ts, &err), 0);
        assert_non_null(ts);
        assert_int_equal(ts->n_keys, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                const struct jwk *k = trust_store_find(ts, want[i].kid);

                assert_non_null(k);
                assert_string_equal(k->kid, want[i].kid);
                assert_int_equal(k->alg, want[i].alg);
                assert_non_null(k->pkey);
                assert_int_equal(EVP_PKEY_get_base_id(k->pkey), want[i].type);
        }
        assert_null(trust_store_find(ts, "nope"));
        assert_null(trust_store_find(ts, ""));
        assert_null(trust_store_find(ts, "ED"));
        assert_null(trust_store_find(ts, "e"));
        assert_null(trust_store_find(ts, "edd"));
}

/* {"keys":[ n copies of the OKP key with kids k0..k(n-1) ]} */
static char *store_of_n(unsigned n) {
        size_t sz = 64 + (size_t) n * 160;
        char *s = malloc(sz);
        size_t off;

        assert_non_null(s);
        off = (size_t) snprintf(s, sz, "{\"keys\":[");
        for (unsigned i = 0; i < n; i++)
                off += (size_t) snprintf(s + off, sz - off,
                                         "%s{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X
                                         "\",\"alg\":\"EdDSA\",\"kid\":\"k%u\"}",
                                         i ? "," : "", i);
        snprintf(s + off, sz - off, "]}");
        return s;
}

static void test_trust_store_count(void **state) {
        struct jit_error err = {};
        _cleanup_free_ char *max = store_of_n(JIT_TRUST_KEYS_MAX);
        _cleanup_free_ char *over = store_of_n(JIT_TRUST_KEYS_MAX + 1);
        struct trust_store *ts = NULL;

        /* exactly the limit loads … */
        assert_int_equal(trust_store_parse(max, strlen(max), &ts, &err), 0);
        assert_int_equal(ts->n_keys, JIT_TRUST_KEYS_MAX);
        assert_non_null(trust_store_find(ts, "k63"));
        trust_store_free(ts);
        ts = NULL;

        /* … one more does not */
        assert_true(trust_store_parse(over, strlen(over), &ts, &err) < 0);
        assert_null(ts);
        assert_int_equal(err.reason, JIT_REASON_TOO_LARGE);
}

struct store_case {
        const char *name;
        const char *json;
        enum jit_reason reason;
};

static const struct store_case store_cases[] = {
        {"duplicate kid",
         "{'keys':[" OKP(",'alg':'EdDSA','kid':'a'") "," EC(",'alg':'ES256','kid':'a'") "]}",
         JIT_REASON_KEY},
        {"one bad key among good",
         "{'keys':[" OKP(",'alg':'EdDSA','kid':'a'") "," OKP(",'alg':'none','kid':'b'") "]}",
         JIT_REASON_ALG_NONE},
        {"private key in store", "{'keys':[" OKP(",'alg':'EdDSA','kid':'a','d':'" ZERO32 "'") "]}",
         JIT_REASON_KEY},
        {"keys missing", "{'key':[" OKP(",'alg':'EdDSA','kid':'a'") "]}", JIT_REASON_KEY},
        {"keys an object", "{'keys':" OKP(",'alg':'EdDSA','kid':'a'") "}", JIT_REASON_KEY},
        {"keys a string", "{'keys':'x'}", JIT_REASON_KEY},
        {"keys null", "{'keys':null}", JIT_REASON_KEY},
        {"keys empty", "{'keys':[]}", JIT_REASON_KEY},
        {"key entry not an object", "{'keys':['x']}", JIT_REASON_KEY},
        {"top level array", "[" OKP(",'alg':'EdDSA','kid':'a'") "]", JIT_REASON_JSON},
        {"top level string", "'keys'", JIT_REASON_JSON},
        {"not json", "{'keys':[", JIT_REASON_JSON},
        {"duplicate member keys", "{'keys':[],'keys':[" OKP(",'alg':'EdDSA','kid':'a'") "]}",
         JIT_REASON_JSON_DUPLICATE},
        {"empty text", "", JIT_REASON_JSON},
};

static void test_trust_store_table(void **state) {
        unsigned failures = 0;

        for (size_t i = 0; i < ELEMENTSOF(store_cases); i++) {
                const struct store_case *c = &store_cases[i];
                struct trust_store *ts = NULL;
                struct jit_error err = {};
                int r = store_parse(c->json, &ts, &err);

                if (r >= 0) {
                        print_error("FAIL %s: accepted, expected %s\n", c->name,
                                    jit_reason_to_string(c->reason));
                        trust_store_free(ts);
                        failures++;
                } else if (err.reason != c->reason) {
                        print_error("FAIL %s: reason %s (%s), expected %s\n", c->name,
                                    jit_reason_to_string(err.reason), err.message,
                                    jit_reason_to_string(c->reason));
                        failures++;
                } else if (ts) {
                        print_error("FAIL %s: *ret set on failure\n", c->name);
                        failures++;
                }
        }
        print_message("%zu trust store rows, %u failures\n", ELEMENTSOF(store_cases), failures);
        assert_int_equal(failures, 0);
}

static char *make_store_dir(void) {
        char *d = strdup("/tmp/test-jwk-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static char *write_store(const char *dir, const char *name, mode_t mode) {
        _cleanup_free_ char *t = unquote(STORE_ALL);
        char *path = NULL;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(t, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(path, mode), 0);
        return path;
}

static void test_trust_store_load(void **state) {
        _cleanup_free_ char *dir = make_store_dir();
        _cleanup_free_ char *good = write_store(dir, "good.jwks", 0644);
        _cleanup_free_ char *bad = write_store(dir, "bad.jwks", 0666);
        _cleanup_free_ char *gw = write_store(dir, "gw.jwks", 0664);
        _cleanup_free_ char *link = NULL;
        _cleanup_free_ char *sub = NULL;
        _cleanup_free_ char *subfile = NULL;
        struct trust_store *ts = NULL;
        struct jit_error err = {};

        /* Positive control: 0644 in a 0700 folder under sticky /tmp loads. */
        assert_int_equal(trust_store_load(good, getuid(), &ts, &err), 0);
        assert_non_null(trust_store_find(ts, "ps"));
        trust_store_free(ts);
        ts = NULL;

        err = (struct jit_error){};
        assert_true(trust_store_load(bad, getuid(), &ts, &err) < 0);
        assert_null(ts);
        assert_int_equal(err.reason, JIT_REASON_FILE_UNSAFE);

        err = (struct jit_error){};
        assert_true(trust_store_load(gw, getuid(), &ts, &err) < 0);
        assert_int_equal(err.reason, JIT_REASON_FILE_UNSAFE);

        /* a symlink to a good file */
        assert_true(asprintf(&link, "%s/link.jwks", dir) > 0);
        assert_int_equal(symlink(good, link), 0);
        err = (struct jit_error){};
        assert_true(trust_store_load(link, getuid(), &ts, &err) < 0);
        assert_int_equal(err.reason, JIT_REASON_FILE_UNSAFE);

        /* a good file in a world-writable folder without the sticky bit */
        assert_true(asprintf(&sub, "%s/ww", dir) > 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        subfile = write_store(sub, "s.jwks", 0644);
        assert_int_equal(chmod(sub, 0777), 0);
        err = (struct jit_error){};
        assert_true(trust_store_load(subfile, getuid(), &ts, &err) < 0);
        assert_int_equal(err.reason, JIT_REASON_FILE_UNSAFE);
        assert_int_equal(chmod(sub, 0755), 0);
        err = (struct jit_error){};
        assert_int_equal(trust_store_load(subfile, getuid(), &ts, &err), 0);
        trust_store_free(ts);

        assert_int_equal(unlink(subfile), 0);
        assert_int_equal(rmdir(sub), 0);
        assert_int_equal(unlink(link), 0);
        assert_int_equal(unlink(gw), 0);
        assert_int_equal(unlink(bad), 0);
        assert_int_equal(unlink(good), 0);
        assert_int_equal(rmdir(dir), 0);
}

/* header.payload.signature of a grant with the given kid and raw signature. */
static char *grant_with_signature(const char *kid, const uint8_t sig[64]) {
        _cleanup_free_ char *claims = test_grant_claims(TEST_NOW, NULL);
        _cleanup_free_ char *header = test_header("EdDSA", JWS_TYP_GRANT, kid);
        _cleanup_free_ char *h64 = test_b64(header, strlen(header));
        _cleanup_free_ char *p64 = test_b64(claims, strlen(claims));
        _cleanup_free_ char *s64 = test_b64(sig, 64);

        return test_strdupf("%s.%s.%s", h64, p64, s64);
}

/* The forgery a small-order key allows. With the identity as public key A,
 * R = identity and S = 0 satisfy [S]B = R + [k]A whatever k = H(R, A, M) is:
 * a grant for anyone, signed by no one. OpenSSL 3.0 verifies it; the trust
 * store must refuse to load such a key at all. */
static void test_forged_grant_small_order_key(void **state) {
        static const uint8_t identity[32] = {0x01};
        static const uint8_t forged[64] = {0x01}; /* R = identity, S = 0 */
        _cleanup_free_ char *token = grant_with_signature("forged", forged);
        _cleanup_free_ char *store =
                unquote("{'keys':[{'kty':'OKP','crv':'Ed25519','x':'" ED_IDENTITY
                        "','alg':'EdDSA','kid':'forged'}]}");
        const char *dot2 = strrchr(token, '.');
        struct trust_store *ts = NULL;
        struct jit_error err = {};
        struct jwk raw = {.kid = (char *) "forged", .alg = JWS_ALG_EDDSA};
        int r;

        /* Why the loader must check: the verifier alone accepts the forgery
         * (informational: a later OpenSSL may refuse it itself). */
        raw.pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, identity, sizeof(identity));
        assert_non_null(raw.pkey);
        r = jws_verify_raw(&raw, (const uint8_t *) token, (size_t) (dot2 - token), forged,
                           sizeof(forged), NULL);
        print_message("OpenSSL alone %s R = identity, S = 0 under the identity key\n",
                      r == 0 ? "ACCEPTS" : "refuses");
        EVP_PKEY_free(raw.pkey);

        r = trust_store_parse(store, strlen(store), &ts, &err);
        if (r >= 0) {
                _cleanup_(grant_freep) struct grant *g = NULL;
                struct jit_error gerr = {};
                int k = grant_verify(token, strlen(token), ts, test_policy(), TEST_NOW, &g, &gerr);

                trust_store_free(ts);
                fail_msg("a trust store holding the identity point loaded, and the forged grant "
                         "%s",
                         k >= 0 ? "VERIFIED (a grant for alice signed by no one)"
                                : "was refused only by chance");
        }
        assert_null(ts);
        assert_int_equal(err.reason, JIT_REASON_KEY);
        print_message("refused: %s\n", err.message);
        assert_non_null(strstr(err.message, "small order"));
        assert_non_null(strstr(err.message, "forged"));
}

/* With checked keys the verifier needs no guard of its own: a small-order R
 * cannot help against a prime-order key, and OpenSSL refuses S >= L (the
 * malleable form of a genuine signature). */
static void test_signature_edge_cases_refused(void **state) {
        /* L, the order of the base point, little endian */
        static const uint8_t order_l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                            0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
        static const uint8_t forged[64] = {0x01};
        struct test_key key = {};
        const struct test_key *keys[] = {&key};
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        _cleanup_free_ char *good = NULL, *bad_s = NULL, *bad_r = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        struct grant *g = NULL;
        struct jit_error err = {};
        size_t sig_len;
        unsigned carry = 0;

        test_key_init(&key, JWS_ALG_EDDSA, "ed");
        ts = test_trust_store(keys, 1);
        good = test_grant_token(&key, TEST_NOW, NULL);

        /* positive control */
        assert_int_equal(grant_verify(good, strlen(good), ts, test_policy(), TEST_NOW, &g, &err),
                         0);
        grant_free(g);
        g = NULL;

        /* the same signature with S + L: the same equation, not canonical */
        sig = test_unb64(strrchr(good, '.') + 1, strlen(strrchr(good, '.') + 1), &sig_len);
        assert_int_equal(sig_len, 64);
        for (size_t i = 0; i < 32; i++) {
                carry += (unsigned) sig[32 + i] + order_l[i];
                sig[32 + i] = (uint8_t) carry;
                carry >>= 8;
        }
        assert_int_equal(carry, 0);
        bad_s = grant_with_signature("ed", sig);
        err = (struct jit_error){};
        assert_true(grant_verify(bad_s, strlen(bad_s), ts, test_policy(), TEST_NOW, &g, &err) < 0);
        assert_null(g);
        assert_int_equal(err.reason, JIT_REASON_SIGNATURE);

        /* R = identity, S = 0 under a genuine key */
        bad_r = grant_with_signature("ed", forged);
        err = (struct jit_error){};
        assert_true(grant_verify(bad_r, strlen(bad_r), ts, test_policy(), TEST_NOW, &g, &err) < 0);
        assert_null(g);
        assert_int_equal(err.reason, JIT_REASON_SIGNATURE);

        test_key_done(&key);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jwk_table),
                cmocka_unit_test(test_jwk_null_error),
                cmocka_unit_test(test_trust_store_lookup),
                cmocka_unit_test(test_trust_store_count),
                cmocka_unit_test(test_trust_store_table),
                cmocka_unit_test(test_trust_store_load),
                cmocka_unit_test(test_forged_grant_small_order_key),
                cmocka_unit_test(test_signature_edge_cases_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
