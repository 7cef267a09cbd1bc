//! Digest authentication: RFC test vectors, computation variants, client state, parsing and
//! printing, malformed input.
//!
//! Expected digests that are not printed in an RFC were computed independently (Python's
//! `hashlib`, following RFC 7616 §3.4 by hand), not by this crate.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sip_core::digest::{
    Algorithm, AlgorithmPolicy, AuthParam, AuthTarget, AuthenticationInfo, Challenge,
    ChallengeOutcome, Credentials, DigestChallenge, DigestClient, DigestError, DigestResponse,
    Password, Qop, StoredSecret, UsernameEncoding, ha1, userhash, verify,
};
use sip_core::{Element, ParseErrorKind};

const RFC2617_CHALLENGE: &str = "Digest\r\n realm=\"testrealm@host.com\",\r\n \
     qop=\"auth,auth-int\",\r\n nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n \
     opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

const RFC2617_AUTHORIZATION: &str = "Digest username=\"Mufasa\",\r\n \
     realm=\"testrealm@host.com\",\r\n nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n \
     uri=\"/dir/index.html\",\r\n qop=auth,\r\n nc=00000001,\r\n cnonce=\"0a4f113b\",\r\n \
     response=\"6629fae49393a05397450978507c4ef1\",\r\n \
     opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const RFC7616_OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";

const SIP_CHALLENGE: &str = r#"Digest realm="atlanta.com", domain="sip:ss1.carrier.com", qop="auth", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5"#;

fn digest(s: &str) -> DigestChallenge {
    DigestChallenge::parse(s).unwrap()
}

fn rfc7616_challenge(algorithm: &str) -> DigestChallenge {
    digest(&format!(
        "Digest\r\n    realm=\"http-auth@example.org\",\r\n    qop=\"auth, auth-int\",\r\n    \
         algorithm={algorithm},\r\n    nonce=\"{RFC7616_NONCE}\",\r\n    opaque=\"{RFC7616_OPAQUE}\""
    ))
}

/// The checks of the `digest_challenge` fuzz target.
fn check_round_trip(s: &str) {
    if let Ok(c) = Challenge::parse(s) {
        let printed = c.to_string();
        let again = Challenge::parse(&printed).unwrap_or_else(|e| panic!("{printed:?}: {e}"));
        assert_eq!(c, again, "{s:?} -> {printed:?}");
        assert_eq!(printed, again.to_string());
    }
    if let Ok(list) = Challenge::parse_list(s) {
        for c in list {
            let printed = c.to_string();
            assert_eq!(Challenge::parse(&printed).as_ref(), Ok(&c), "{s:?}");
        }
    }
    if let Ok(r) = DigestResponse::parse(s) {
        let printed = r.to_string();
        let again = DigestResponse::parse(&printed).unwrap_or_else(|e| panic!("{printed:?}: {e}"));
        assert_eq!(r, again, "{s:?} -> {printed:?}");
        assert_eq!(printed, again.to_string());
    }
    if let Ok(a) = AuthenticationInfo::parse(s) {
        let printed = a.to_string();
        assert_eq!(AuthenticationInfo::parse(&printed), Ok(a), "{s:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// RFC test vectors

#[test]
fn rfc2617_section_3_5_example() {
    let c = digest(RFC2617_CHALLENGE);
    assert_eq!(c.realm, "testrealm@host.com");
    assert_eq!(c.qop, [Qop::Auth, Qop::AuthInt]);
    assert_eq!(c.algorithm, None);
    assert_eq!(c.algorithm(), &Algorithm::Md5);
    let creds = Credentials::new("Mufasa", "Circle Of Life");
    let r =
        DigestResponse::compute(&c, &creds, "GET", "/dir/index.html", None, 1, "0a4f113b").unwrap();
    assert_eq!(r.response, "6629fae49393a05397450978507c4ef1");
    assert_eq!(r.qop, Some(Qop::Auth));
    assert_eq!(r.nc_string().as_deref(), Some("00000001"));
    assert_eq!(
        r.opaque.as_deref(),
        Some("5ccc069c403ebaf9f0171e9517f40e41")
    );
    // The RFC's own Authorization header parses to the same credentials.
    let sent = DigestResponse::parse(RFC2617_AUTHORIZATION).unwrap();
    assert_eq!(sent, r);
    // And a server holding the password or the HA1 accepts it.
    assert!(verify(
        &sent,
        StoredSecret::Password("Circle Of Life"),
        "GET",
        None
    ));
    let h = ha1(
        &Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
    )
    .unwrap();
    assert_eq!(h, "939e7578ed9e3c518a452acee763bce9");
    assert!(verify(&sent, StoredSecret::Ha1(&h), "GET", None));
    assert!(verify(
        &sent,
        StoredSecret::Ha1(&h.to_uppercase()),
        "GET",
        None
    ));
    assert!(!verify(
        &sent,
        StoredSecret::Password("Circle of Life"),
        "GET",
        None
    ));
    assert!(!verify(
        &sent,
        StoredSecret::Password("Circle Of Life"),
        "POST",
        None
    ));
}

#[test]
fn rfc7616_section_3_9_1_md5_and_sha256() {
    let creds = Credentials::new("Mufasa", "Circle of Life");
    for (alg, expected) in [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ] {
        let c = rfc7616_challenge(alg);
        let r = DigestResponse::compute(
            &c,
            &creds,
            "GET",
            "/dir/index.html",
            None,
            1,
            RFC7616_CNONCE,
        )
        .unwrap();
        assert_eq!(r.response, expected, "{alg}");
        assert_eq!(r.algorithm, Some(Algorithm::parse(alg)));
        // The Authorization value of the RFC, parsed, verifies.
        let sent = DigestResponse::parse(&format!(
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
             algorithm={alg}, nonce=\"{RFC7616_NONCE}\", nc=00000001, cnonce=\"{RFC7616_CNONCE}\", \
             qop=auth, response=\"{expected}\", opaque=\"{RFC7616_OPAQUE}\""
        ))
        .unwrap();
        assert_eq!(sent, r);
        assert!(verify(
            &sent,
            StoredSecret::Password("Circle of Life"),
            "GET",
            None
        ));
    }
}

/// RFC 7616 §3.9.2 (SHA-512-256, charset, userhash). The digests printed in the RFC cannot be
/// reproduced from its inputs (erratum 4897), so the expected values here were computed
/// independently from the same inputs.
#[test]
fn rfc7616_section_3_9_2_userhash() {
    let c = digest(
        "Digest\r\n    realm=\"api@example.org\",\r\n    qop=\"auth\",\r\n    \
         algorithm=SHA-512-256,\r\n    nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\",\r\n    \
         opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\",\r\n    charset=UTF-8,\r\n    \
         userhash=true",
    );
    assert!(c.userhash);
    assert_eq!(c.charset.as_deref(), Some("UTF-8"));
    assert_eq!(c.algorithm, Some(Algorithm::Sha512_256));
    let user = "J\u{e4}s\u{f8}n Doe";
    let creds = Credentials::new(user, "Secret, or not?");
    let cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v";
    let r = DigestResponse::compute(&c, &creds, "GET", "/doe.json", None, 1, cnonce).unwrap();
    let uh = "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b";
    assert_eq!(r.username, uh);
    assert_eq!(
        userhash(&Algorithm::Sha512_256, user, "api@example.org").unwrap(),
        uh
    );
    assert_eq!(r.username_encoding, UsernameEncoding::Hashed);
    assert_eq!(
        r.response,
        "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"
    );
    let printed = r.to_string();
    assert!(printed.contains(&format!("username=\"{uh}\"")));
    assert!(printed.ends_with("userhash=true"));
    let sent = DigestResponse::parse(&printed).unwrap();
    assert_eq!(sent, r);
    // The server needs the real username to check a hashed one.
    let secret = StoredSecret::UserPassword {
        username: user,
        password: "Secret, or not?",
    };
    assert!(verify(&sent, secret, "GET", None));
    assert!(!verify(
        &sent,
        StoredSecret::Password("Secret, or not?"),
        "GET",
        None
    ));
    let other = StoredSecret::UserPassword {
        username: "Jason Doe",
        password: "Secret, or not?",
    };
    assert!(!verify(&sent, other, "GET", None));

    // The same name without userhash, sent as username* (RFC 7616 §3.4.4 notation).
    let star = DigestResponse::parse(
        "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"api@example.org\", \
         uri=\"/doe.json\", nonce=\"n\", response=\"00\"",
    )
    .unwrap();
    assert_eq!(star.username, user);
    assert_eq!(star.username_encoding, UsernameEncoding::Extended);
    assert!(
        star.to_string()
            .starts_with("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, ")
    );
    let latin1 = DigestResponse::parse(
        "Digest username*=iso-8859-1'en'J%E4s%F8n%20Doe, realm=\"r\", uri=\"/\", nonce=\"n\", \
         response=\"00\"",
    )
    .unwrap();
    assert_eq!(latin1.username, user);
}

// ---------------------------------------------------------------------------------------------
// Computation variants

const SDP: &[u8] = b"v=0\r\no=bob 2890844526 2890844526 IN IP4 host.biloxi.com\r\n";

fn biloxi(extra: &str) -> DigestChallenge {
    digest(&format!(
        "Digest realm=\"biloxi.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"{extra}"
    ))
}

fn bob() -> Credentials {
    Credentials::new("bob", "zanzibar")
}

#[test]
fn auth_int_protects_the_body() {
    let c = biloxi(", qop=\"auth,auth-int\"");
    let r = DigestResponse::compute(
        &c,
        &bob(),
        "INVITE",
        "sip:bob@biloxi.com",
        Some(SDP),
        1,
        "0a4f113b",
    )
    .unwrap();
    assert_eq!(r.qop, Some(Qop::AuthInt));
    assert_eq!(r.response, "e7c5782603fa9fc6df965fe9b9cd4ef0");
    assert!(r.to_string().contains("qop=auth-int"));
    let secret = StoredSecret::Password("zanzibar");
    assert!(verify(&r, secret, "INVITE", Some(SDP)));
    assert!(!verify(&r, secret, "INVITE", Some(b"v=1\r\n")));
    assert!(!verify(&r, secret, "INVITE", None));

    // Without a body, `auth` is preferred when offered.
    let r =
        DigestResponse::compute(&c, &bob(), "INVITE", "sip:bob@biloxi.com", None, 1, "x").unwrap();
    assert_eq!(r.qop, Some(Qop::Auth));

    // Only auth-int offered and no body: auth-int over the empty body.
    let c = biloxi(", qop=auth-int, algorithm=SHA-512-256");
    let r = DigestResponse::compute(
        &c,
        &bob(),
        "INVITE",
        "sip:bob@biloxi.com",
        None,
        2,
        "0a4f113b",
    )
    .unwrap();
    assert_eq!(r.qop, Some(Qop::AuthInt));
    assert_eq!(
        r.response,
        "1822c1a96fd507034ab3ada10898540375aeb8506a7038bf77fa23fce61cffaa"
    );
    assert!(verify(&r, secret, "INVITE", Some(b"")));
}

#[test]
fn sess_algorithms_mix_nonce_and_cnonce_into_ha1() {
    let secret = StoredSecret::Password("zanzibar");
    let c = biloxi(", qop=\"auth\", algorithm=MD5-sess");
    let r = DigestResponse::compute(
        &c,
        &bob(),
        "INVITE",
        "sip:bob@biloxi.com",
        None,
        1,
        "0a4f113b",
    )
    .unwrap();
    assert_eq!(r.response, "e4e4ea61d186d07a92c9e1f6919902e9");
    assert_eq!(r.algorithm, Some(Algorithm::Md5Sess));
    assert!(verify(&r, secret, "INVITE", None));
    // A stored HA1 is the value before the session mix.
    let h = ha1(&Algorithm::Md5Sess, "bob", "biloxi.com", "zanzibar").unwrap();
    assert!(verify(&r, StoredSecret::Ha1(&h), "INVITE", None));
    let mut tampered = r.clone();
    tampered.cnonce = Some("0a4f113c".into());
    assert!(!verify(&tampered, secret, "INVITE", None));

    let c = biloxi(", qop=auth, algorithm=sha-256-SESS");
    assert_eq!(c.algorithm, Some(Algorithm::Sha256Sess));
    let r = DigestResponse::compute(
        &c,
        &bob(),
        "INVITE",
        "sip:bob@biloxi.com",
        None,
        10,
        "0a4f113b",
    )
    .unwrap();
    assert_eq!(r.nc_string().as_deref(), Some("0000000a"));
    assert_eq!(
        r.response,
        "8a60b78646a6e353ae8f4bfb727dca7b5f00f7f94f9ff2fc2aff7e192999cc04"
    );
    assert!(verify(&r, secret, "INVITE", None));
}

#[test]
fn rfc2069_compatibility_without_qop() {
    let c = biloxi("");
    let r = DigestResponse::compute(&c, &bob(), "REGISTER", "sip:biloxi.com", None, 1, "unused")
        .unwrap();
    assert_eq!(r.response, "4441045a8075db3ead543693997e2a0e");
    assert_eq!(
        (r.qop.as_ref(), r.nc, r.cnonce.as_ref()),
        (None, None, None)
    );
    let printed = r.to_string();
    assert!(!printed.contains("nc=") && !printed.contains("cnonce") && !printed.contains("qop"));
    assert!(verify(
        &DigestResponse::parse(&printed).unwrap(),
        StoredSecret::Password("zanzibar"),
        "REGISTER",
        None
    ));
}

#[test]
fn unsupported_algorithm_and_qop_parse_but_cannot_be_answered() {
    let c = digest(r#"Digest realm="ims", nonce="n", algorithm=AKAv1-MD5, qop="auth""#);
    assert_eq!(c.algorithm, Some(Algorithm::Other("AKAv1-MD5".into())));
    assert!(!c.algorithm().is_supported());
    let err = DigestResponse::compute(&c, &bob(), "REGISTER", "sip:ims", None, 1, "c").unwrap_err();
    assert_eq!(err, DigestError::UnsupportedAlgorithm("AKAv1-MD5".into()));
    assert!(err.to_string().contains("AKAv1-MD5"));

    let c = digest(r#"Digest realm="r", nonce="n", qop="auth-conf, x""#);
    let err = DigestResponse::compute(&c, &bob(), "REGISTER", "sip:r", None, 1, "c").unwrap_err();
    assert_eq!(
        err,
        DigestError::UnsupportedQop(vec!["auth-conf".into(), "x".into()])
    );

    let c = biloxi(", qop=auth");
    let err = DigestResponse::compute(&c, &bob(), "REGISTER", "sip:r", None, 1, "").unwrap_err();
    assert_eq!(err, DigestError::MissingParameter("cnonce"));

    // A server never accepts credentials it cannot check.
    let mut r = DigestResponse::parse(RFC2617_AUTHORIZATION).unwrap();
    r.algorithm = Some(Algorithm::Other("X".into()));
    assert!(!verify(
        &r,
        StoredSecret::Password("Circle Of Life"),
        "GET",
        None
    ));
    let mut r = DigestResponse::parse(RFC2617_AUTHORIZATION).unwrap();
    r.qop = Some(Qop::Other("auth-conf".into()));
    assert!(!verify(
        &r,
        StoredSecret::Password("Circle Of Life"),
        "GET",
        None
    ));
    r.qop = Some(Qop::Auth);
    r.nc = None;
    assert!(!verify(
        &r,
        StoredSecret::Password("Circle Of Life"),
        "GET",
        None
    ));
}

#[test]
fn control_characters_in_username_use_username_star() {
    let c = biloxi(", qop=auth");
    let creds = Credentials::new("bad\r\nname", "pw");
    let r = DigestResponse::compute(&c, &creds, "REGISTER", "sip:r", None, 1, "c").unwrap();
    assert_eq!(r.username_encoding, UsernameEncoding::Extended);
    let printed = r.to_string();
    assert!(!printed.contains('\r') && !printed.contains('\n'));
    assert!(printed.starts_with("Digest username*=UTF-8''bad%0D%0Aname, "));
    let back = DigestResponse::parse(&printed).unwrap();
    assert_eq!(back, r);
    assert!(verify(
        &back,
        StoredSecret::Password("pw"),
        "REGISTER",
        None
    ));
}

// ---------------------------------------------------------------------------------------------
// Authentication-Info

#[test]
fn rspauth_round_trip() {
    let sent = DigestResponse::parse(RFC2617_AUTHORIZATION).unwrap();
    let secret = StoredSecret::Password("Circle Of Life");
    let info = AuthenticationInfo::compute(
        &sent,
        secret,
        None,
        Some("47364c23432d2e131a5fb210812c".into()),
    )
    .unwrap();
    assert_eq!(
        info.rspauth.as_deref(),
        Some("376602cfd2f4e8e5e78b948a85263e85")
    );
    assert_eq!(
        info.to_string(),
        "nextnonce=\"47364c23432d2e131a5fb210812c\", qop=auth, \
         rspauth=\"376602cfd2f4e8e5e78b948a85263e85\", cnonce=\"0a4f113b\", nc=00000001"
    );
    let creds = Credentials::new("Mufasa", "Circle Of Life");
    let parsed = AuthenticationInfo::parse(&info.to_string()).unwrap();
    assert_eq!(parsed, info);
    assert_eq!(parsed.verify(&sent, &creds, None), Ok(()));

    let mut bad = parsed.clone();
    bad.rspauth = Some("376602cfd2f4e8e5e78b948a85263e86".into());
    assert_eq!(
        bad.verify(&sent, &creds, None),
        Err(DigestError::RspauthMismatch)
    );
    let mut bad = parsed.clone();
    bad.cnonce = Some("other".into());
    assert_eq!(
        bad.verify(&sent, &creds, None),
        Err(DigestError::RspauthMismatch)
    );
    let wrong = Credentials::new("Mufasa", "circle of life");
    assert_eq!(
        parsed.verify(&sent, &wrong, None),
        Err(DigestError::RspauthMismatch)
    );
    assert_eq!(
        AuthenticationInfo::default().verify(&sent, &creds, None),
        Err(DigestError::MissingParameter("rspauth"))
    );
    // The server cannot answer for another user.
    let other = StoredSecret::UserPassword {
        username: "Simba",
        password: "x",
    };
    assert_eq!(
        AuthenticationInfo::compute(&sent, other, None, None),
        Err(DigestError::UsernameMismatch)
    );
}

#[test]
fn authentication_info_parsing() {
    let a = AuthenticationInfo::parse(
        " NextNonce = \"abc\" ,qop=AUTH-INT,, rspauth=\"00\", nc=0000ffff, x-y=\"z w\" ",
    )
    .unwrap();
    assert_eq!(a.nextnonce.as_deref(), Some("abc"));
    assert_eq!(a.qop, Some(Qop::AuthInt));
    assert_eq!(a.nc, Some(0xffff));
    assert_eq!(a.params, [AuthParam::quoted("x-y", "z w")]);
    assert_eq!(
        a.to_string(),
        "nextnonce=\"abc\", qop=auth-int, rspauth=\"00\", nc=0000ffff, x-y=\"z w\""
    );
    assert_eq!(
        AuthenticationInfo::parse("").unwrap(),
        AuthenticationInfo::default()
    );
    assert_eq!(AuthenticationInfo::parse("").unwrap().to_string(), "");
    let e = AuthenticationInfo::parse("nc=123").unwrap_err();
    assert_eq!((e.element, e.offset), (Element::Digest, 3));
    let e = AuthenticationInfo::parse("rspauth=\"a\", rspauth=\"b\"").unwrap_err();
    assert_eq!(e.offset, 13);
}

// ---------------------------------------------------------------------------------------------
// Client state

fn client() -> DigestClient<StdRng> {
    DigestClient::new(StdRng::seed_from_u64(42))
}

fn ch(s: &str) -> Challenge {
    Challenge::parse(s).unwrap()
}

#[test]
fn nonce_counting() {
    let mut cl = client();
    let creds = bob();
    let c1 = ch(r#"Digest realm="biloxi.com", nonce="n1", qop="auth""#);
    assert_eq!(
        cl.handle_challenges(AuthTarget::Origin, [&c1]).unwrap(),
        ChallengeOutcome::Authenticate
    );
    assert_eq!(cl.nonce_count(AuthTarget::Origin, "biloxi.com"), Some(0));
    let mut cnonces = Vec::new();
    for expected in 1..=3u32 {
        let auth = cl
            .authorize(&creds, "REGISTER", "sip:biloxi.com", None)
            .unwrap();
        assert_eq!(auth.len(), 1);
        let v = &auth[0].value;
        assert_eq!(v.nc, Some(expected));
        assert_eq!(v.nonce, "n1");
        assert!(
            auth[0]
                .value
                .to_string()
                .contains(&format!("nc={expected:08x}"))
        );
        assert!(verify(
            v,
            StoredSecret::Password("zanzibar"),
            "REGISTER",
            None
        ));
        cnonces.push(v.cnonce.clone().unwrap());
    }
    assert_eq!(cl.nonce_count(AuthTarget::Origin, "biloxi.com"), Some(3));
    // A fresh cnonce per request, 32 hex digits.
    assert!(cnonces[0] != cnonces[1] && cnonces[1] != cnonces[2]);
    assert!(
        cnonces
            .iter()
            .all(|c| c.len() == 32 && c.bytes().all(|b| b.is_ascii_hexdigit()))
    );
    // Deterministic with the same seed.
    let mut again = client();
    again.handle_challenges(AuthTarget::Origin, [&c1]).unwrap();
    let a = again
        .authorize(&creds, "REGISTER", "sip:biloxi.com", None)
        .unwrap();
    assert_eq!(a[0].value.cnonce.as_ref(), Some(&cnonces[0]));

    // A new nonce restarts the count.
    let c2 = ch(r#"Digest realm="biloxi.com", nonce="n2", qop="auth", stale=true"#);
    cl.handle_challenges(AuthTarget::Origin, [&c2]).unwrap();
    let auth = cl
        .authorize(&creds, "REGISTER", "sip:biloxi.com", None)
        .unwrap();
    assert_eq!(
        (auth[0].value.nonce.as_str(), auth[0].value.nc),
        ("n2", Some(1))
    );

    // nextnonce from Authentication-Info does too, once rspauth checks out.
    let sent = auth[0].value.clone();
    let info = AuthenticationInfo::compute(
        &sent,
        StoredSecret::Password("zanzibar"),
        None,
        Some("n3".into()),
    )
    .unwrap();
    let mut forged = info.clone();
    forged.rspauth = Some("0".repeat(32));
    assert_eq!(
        cl.handle_authentication_info(AuthTarget::Origin, &forged, &sent, &creds, None),
        Err(DigestError::RspauthMismatch)
    );
    assert_eq!(
        cl.challenge(AuthTarget::Origin, "biloxi.com")
            .unwrap()
            .nonce,
        "n2"
    );
    assert_eq!(
        cl.handle_authentication_info(AuthTarget::Origin, &info, &sent, &creds, None),
        Ok(true)
    );
    let auth = cl
        .authorize(&creds, "REGISTER", "sip:biloxi.com", None)
        .unwrap();
    assert_eq!(
        (auth[0].value.nonce.as_str(), auth[0].value.nc),
        ("n3", Some(1))
    );
    // Without rspauth: nothing to verify, nextnonce still applies.
    let plain = AuthenticationInfo::parse("nextnonce=\"n4\"").unwrap();
    assert_eq!(
        cl.handle_authentication_info(AuthTarget::Origin, &plain, &auth[0].value, &creds, None),
        Ok(false)
    );
    assert_eq!(
        cl.challenge(AuthTarget::Origin, "biloxi.com")
            .unwrap()
            .nonce,
        "n4"
    );
}

#[test]
fn stale_and_rejected_challenges() {
    let mut cl = client();
    let creds = bob();
    let first = ch(r#"Digest realm="biloxi.com", nonce="n1", qop="auth""#);
    assert_eq!(
        cl.handle_challenges(AuthTarget::Proxy, [&first]),
        Ok(ChallengeOutcome::Authenticate)
    );
    // Challenged again before answering: still just "authenticate".
    assert_eq!(
        cl.handle_challenges(AuthTarget::Proxy, [&first]),
        Ok(ChallengeOutcome::Authenticate)
    );
    let auth = cl
        .authorize(&creds, "INVITE", "sip:alice@atlanta.com", None)
        .unwrap();
    assert_eq!(auth[0].header_name(), "Proxy-Authorization");
    assert_eq!(auth[0].target.challenge_header(), "Proxy-Authenticate");

    // stale=true after answering: retry with the new nonce without asking the user.
    let stale = ch(r#"Digest realm="biloxi.com", nonce="n2", qop="auth", stale=TRUE"#);
    assert_eq!(
        cl.handle_challenges(AuthTarget::Proxy, [&stale]),
        Ok(ChallengeOutcome::Stale)
    );
    let auth = cl
        .authorize(&creds, "INVITE", "sip:alice@atlanta.com", None)
        .unwrap();
    assert_eq!(
        (auth[0].value.nonce.as_str(), auth[0].value.nc),
        ("n2", Some(1))
    );

    // A plain challenge after answering: the credentials were rejected.
    let again = ch(r#"Digest realm="biloxi.com", nonce="n3", qop="auth", stale=false"#);
    assert_eq!(
        cl.handle_challenges(AuthTarget::Proxy, [&again]),
        Ok(ChallengeOutcome::Rejected)
    );
    // The new challenge is kept anyway, for credentials the user may now supply.
    assert_eq!(
        cl.challenge(AuthTarget::Proxy, "biloxi.com").unwrap().nonce,
        "n3"
    );
    assert_eq!(cl.challenge(AuthTarget::Origin, "biloxi.com"), None);

    // A second realm alongside: answered separately, in order.
    let other = ch(r#"Digest realm="atlanta.com", nonce="a1""#);
    assert_eq!(
        cl.handle_challenges(AuthTarget::Origin, [&other]),
        Ok(ChallengeOutcome::Authenticate)
    );
    let auth = cl
        .authorize(&creds, "INVITE", "sip:alice@atlanta.com", None)
        .unwrap();
    let realms: Vec<_> = auth
        .iter()
        .map(|a| (a.header_name(), a.value.realm.as_str()))
        .collect();
    assert_eq!(
        realms,
        [
            ("Proxy-Authorization", "biloxi.com"),
            ("Authorization", "atlanta.com")
        ]
    );
    assert_eq!(
        cl.realms().collect::<Vec<_>>(),
        [
            (AuthTarget::Proxy, "biloxi.com"),
            (AuthTarget::Origin, "atlanta.com")
        ]
    );
    let one = cl
        .authorize_realm(
            AuthTarget::Origin,
            "atlanta.com",
            &creds,
            "BYE",
            "sip:alice@atlanta.com",
            None,
        )
        .unwrap();
    assert_eq!(one.realm, "atlanta.com");
    assert_eq!(
        cl.authorize_realm(AuthTarget::Origin, "nowhere", &creds, "BYE", "sip:x", None),
        Err(DigestError::UnknownRealm("nowhere".into()))
    );
    assert!(cl.forget(AuthTarget::Proxy, "biloxi.com"));
    assert!(!cl.forget(AuthTarget::Proxy, "biloxi.com"));
    cl.clear();
    assert!(
        cl.authorize(&creds, "BYE", "sip:x", None)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn algorithm_preference() {
    let md5 = ch(r#"Digest realm="r", nonce="m", algorithm=MD5, qop="auth""#);
    let sha256 = ch(r#"Digest realm="r", nonce="s", algorithm=SHA-256, qop="auth""#);
    let sha512 = ch(r#"Digest realm="r", nonce="t", algorithm=SHA-512-256-sess, qop="auth""#);
    let unknown = ch(r#"Digest realm="r", nonce="u", algorithm=SHA3-512, qop="auth""#);
    let basic = ch(r#"Basic realm="r""#);
    let orders: [[&Challenge; 5]; 3] = [
        [&md5, &sha256, &sha512, &unknown, &basic],
        [&unknown, &sha512, &md5, &basic, &sha256],
        [&basic, &sha256, &unknown, &md5, &sha512],
    ];
    for order in orders {
        let mut cl = client();
        cl.handle_challenges(AuthTarget::Origin, order).unwrap();
        let chosen = cl.challenge(AuthTarget::Origin, "r").unwrap();
        assert_eq!(chosen.algorithm(), &Algorithm::Sha512_256Sess);
    }
    assert!(Algorithm::Sha512_256.strength() > Algorithm::Sha256.strength());
    assert!(Algorithm::Sha256.strength() > Algorithm::Md5Sess.strength());

    // Without SHA-512-256, SHA-256 wins over MD5 whatever the order.
    let mut cl = client();
    cl.handle_challenges(AuthTarget::Origin, [&md5, &sha256])
        .unwrap();
    assert_eq!(cl.challenge(AuthTarget::Origin, "r").unwrap().nonce, "s");

    // The server's order, when asked for.
    let mut cl = client();
    cl.set_algorithm_policy(AlgorithmPolicy::ServerOrder);
    assert_eq!(cl.algorithm_policy(), AlgorithmPolicy::ServerOrder);
    cl.handle_challenges(AuthTarget::Origin, [&unknown, &md5, &sha512])
        .unwrap();
    assert_eq!(cl.challenge(AuthTarget::Origin, "r").unwrap().nonce, "m");

    // Nothing usable.
    let mut cl = client();
    assert_eq!(
        cl.handle_challenges(AuthTarget::Origin, [&unknown]),
        Err(DigestError::UnsupportedAlgorithm("SHA3-512".into()))
    );
    assert_eq!(
        cl.handle_challenges(AuthTarget::Origin, [&basic]),
        Err(DigestError::NoDigestChallenge)
    );
    assert_eq!(
        cl.handle_challenges(AuthTarget::Origin, []),
        Err(DigestError::NoDigestChallenge)
    );
    let only_conf = ch(r#"Digest realm="r", nonce="u", qop="auth-conf""#);
    assert_eq!(
        cl.handle_challenges(AuthTarget::Origin, [&only_conf]),
        Err(DigestError::UnsupportedQop(vec!["auth-conf".into()]))
    );
}

#[test]
fn client_from_entropy_produces_verifiable_credentials() {
    let mut cl = DigestClient::from_entropy();
    let c = ch(SIP_CHALLENGE);
    cl.handle_challenges(AuthTarget::Origin, [&c]).unwrap();
    let auth = cl
        .authorize(&bob(), "REGISTER", "sip:atlanta.com", None)
        .unwrap();
    let v = DigestResponse::parse(&auth[0].value.to_string()).unwrap();
    assert_eq!(v.opaque.as_deref(), Some(""));
    assert!(auth[0].value.to_string().contains("opaque=\"\""));
    assert!(verify(
        &v,
        StoredSecret::Password("zanzibar"),
        "REGISTER",
        None
    ));
    assert!(!format!("{cl:?}").contains("zanzibar"));
}

// ---------------------------------------------------------------------------------------------
// Parsing and printing

#[test]
fn sip_style_challenge() {
    let c = ch(SIP_CHALLENGE);
    assert_eq!(c.scheme(), "Digest");
    let d = c.as_digest().unwrap();
    assert_eq!(d.realm, "atlanta.com");
    assert_eq!(d.domain, ["sip:ss1.carrier.com"]);
    assert_eq!(d.qop, [Qop::Auth]);
    assert_eq!(d.nonce, "f84f1cec41e6cbe5aea9c8e88d359");
    assert_eq!(d.opaque.as_deref(), Some(""));
    assert!(!d.stale);
    assert_eq!(d.algorithm, Some(Algorithm::Md5));
    assert!(d.params.is_empty());
    assert_eq!(
        c.to_string(),
        r#"Digest realm="atlanta.com", domain="sip:ss1.carrier.com", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", algorithm=MD5, qop="auth""#
    );
    assert_eq!(ch(&c.to_string()), c);
    check_round_trip(SIP_CHALLENGE);
}

#[test]
fn tolerant_challenge_syntax() {
    let d = digest(
        "  dIgEsT\tREALM = realm.example ,,NONCE=abc/def==,\r\n qop=\"auth , AUTH-INT,,\", \
         algorithm=\"sha-512-256\", Stale=\"True\", userhash=yes, domain=\"/a  /b\tsip:c\", \
         x-ext=\"a\\\"b\", flag=on ,",
    );
    assert_eq!(d.realm, "realm.example");
    assert_eq!(d.nonce, "abc/def==");
    assert_eq!(d.qop, [Qop::Auth, Qop::AuthInt]);
    assert_eq!(d.algorithm, Some(Algorithm::Sha512_256));
    assert!(d.stale);
    assert!(!d.userhash);
    assert_eq!(d.domain, ["/a", "/b", "sip:c"]);
    assert_eq!(
        d.params,
        [
            AuthParam::quoted("x-ext", "a\"b"),
            AuthParam::new("flag", "on")
        ]
    );
    assert_eq!(d.param("X-EXT"), Some("a\"b"));
    assert_eq!(
        d.to_string(),
        r#"Digest realm="realm.example", domain="/a /b sip:c", nonce="abc/def==", stale=true, algorithm=SHA-512-256, qop="auth,auth-int", x-ext="a\"b", flag=on"#
    );
    assert_eq!(digest(&d.to_string()), d);
}

#[test]
fn built_challenge_prints_canonically() {
    let mut d = DigestChallenge::new("example.com", "abc");
    d.qop = vec![Qop::Auth, Qop::AuthInt];
    d.algorithm = Some(Algorithm::Sha256);
    d.opaque = Some("o\"p".into());
    d.userhash = true;
    d.charset = Some("UTF-8".into());
    d.params.push(AuthParam::new("x", "needs quoting"));
    let s = d.to_string();
    assert_eq!(
        s,
        r#"Digest realm="example.com", nonce="abc", opaque="o\"p", algorithm=SHA-256, qop="auth,auth-int", charset=UTF-8, userhash=true, x="needs quoting""#
    );
    assert_eq!(s.parse::<DigestChallenge>().unwrap(), d);
    assert_eq!(Challenge::from(d.clone()).to_string(), s);
    assert_eq!(d.algorithm.as_ref().unwrap().to_string(), "SHA-256");
    assert_eq!("md5-SESS".parse::<Algorithm>().unwrap(), Algorithm::Md5Sess);
    assert_eq!("Auth-Int".parse::<Qop>().unwrap(), Qop::AuthInt);
    assert_eq!(Qop::Other("x".into()).to_string(), "x");
}

#[test]
fn other_schemes_and_lists() {
    let b = ch("Basic dXNlcjpwYXNzd29yZA==");
    assert_eq!(
        b,
        Challenge::Other {
            scheme: "Basic".into(),
            token68: Some("dXNlcjpwYXNzd29yZA==".into()),
            params: vec![],
        }
    );
    assert_eq!(b.to_string(), "Basic dXNlcjpwYXNzd29yZA==");
    assert!(b.as_digest().is_none());
    let bearer = ch(r#"Bearer realm="example", error=invalid_token"#);
    assert_eq!(bearer.scheme(), "Bearer");
    assert_eq!(
        bearer.to_string(),
        r#"Bearer realm="example", error=invalid_token"#
    );
    assert_eq!(ch("Negotiate").to_string(), "Negotiate");

    let list = Challenge::parse_list(
        r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Digest realm="d", nonce="n", qop="auth,auth-int""#,
    )
    .unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].scheme(), "Newauth");
    assert_eq!(list[1].scheme(), "Basic");
    assert_eq!(list[2].as_digest().unwrap().qop, [Qop::Auth, Qop::AuthInt]);
    // Digest as a scheme name is case-insensitive; a Digest challenge must have params.
    assert!(
        Challenge::parse("DIGEST realm=\"r\", nonce=\"n\"")
            .unwrap()
            .as_digest()
            .is_some()
    );
    assert!(Challenge::parse("Digest abc==").is_err());
    assert!(DigestChallenge::parse("Basic realm=\"r\"").is_err());
}

#[test]
fn authorization_parsing_and_printing() {
    let r = DigestResponse::parse(RFC2617_AUTHORIZATION).unwrap();
    assert_eq!(r.username, "Mufasa");
    assert_eq!(r.username_encoding, UsernameEncoding::Plain);
    assert_eq!(r.uri, "/dir/index.html");
    assert_eq!(r.nc, Some(1));
    assert_eq!(
        r.to_string(),
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", uri=\"/dir/index.html\", \
         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", nc=00000001, cnonce=\"0a4f113b\", \
         qop=auth, response=\"6629fae49393a05397450978507c4ef1\", \
         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""
    );
    assert_eq!(r.to_string().parse::<DigestResponse>().unwrap(), r);
    let with_ext = DigestResponse::parse(
        "digest USERNAME=bob, realm=r, nonce=n, uri=\"sip:r\", response=\"ab\", \
         algorithm=md5, x=1, userhash=FALSE",
    )
    .unwrap();
    assert_eq!(with_ext.algorithm, Some(Algorithm::Md5));
    assert_eq!(with_ext.param("x"), Some("1"));
    assert_eq!(with_ext.username_encoding, UsernameEncoding::Plain);
    check_round_trip(RFC2617_AUTHORIZATION);
}

#[test]
fn malformed_inputs_fail_with_offsets() {
    let challenges: &[(&str, usize, ParseErrorKind)] = &[
        ("", 0, ParseErrorKind::Incomplete),
        ("   ", 3, ParseErrorKind::Incomplete),
        ("\"Digest\"", 0, ParseErrorKind::Syntax),
        ("Digest", 6, ParseErrorKind::Incomplete),
        ("Digest realm=\"r\"", 16, ParseErrorKind::Incomplete),
        ("Digest nonce=\"n\"", 16, ParseErrorKind::Incomplete),
        ("Digest realm=\"r\", nonce=\"n", 24, ParseErrorKind::Syntax),
        ("Digest realm=\"r\" nonce=\"n\"", 17, ParseErrorKind::Syntax),
        ("Digest realm=\"r\", nonce", 23, ParseErrorKind::Incomplete),
        ("Digest realm=\"r\", =\"n\"", 18, ParseErrorKind::Syntax),
        ("Digest realm=\"r\", nonce=", 24, ParseErrorKind::Incomplete),
        ("Digest realm=\"r\", nonce=,", 24, ParseErrorKind::Syntax),
        (
            "Digest realm=\"r\", realm=\"s\", nonce=\"n\"",
            18,
            ParseErrorKind::Syntax,
        ),
        ("Digest realm=\"a\rb\", nonce=n", 13, ParseErrorKind::Syntax),
        ("Digest;realm=\"r\"", 6, ParseErrorKind::Syntax),
        (
            "Digest realm=\"r\", nonce=\"n\" \"junk\"",
            28,
            ParseErrorKind::Syntax,
        ),
    ];
    for (input, offset, kind) in challenges {
        let e = Challenge::parse(input).unwrap_err();
        assert_eq!(
            (e.element, e.offset, &e.kind),
            (Element::Digest, *offset, kind),
            "{input:?}"
        );
        assert!(e.to_string().contains("digest"), "{e}");
    }
    let base = r#"realm="r", nonce="n", uri="/", response="00""#;
    let responses: &[(String, usize)] = &[
        (format!("Basic {base}"), 0),
        (format!("Digest {base}"), 51),
        (format!("Digest username=\"u\", {base}, nc=1"), 70),
        (format!("Digest username=\"u\", {base}, nc=0000000g"), 70),
        (format!("Digest username=\"u\", {base}, nc=000000001"), 70),
        (
            format!("Digest username=\"u\", username*=UTF-8''u, {base}"),
            21,
        ),
        (format!("Digest username*=UTF-8''%ff, {base}"), 17),
        (format!("Digest username*=UTF-8''a%2, {base}"), 17),
        (format!("Digest username*=KOI8-R''a, {base}"), 17),
        (
            format!("Digest username*=UTF-8''a, {base}, userhash=true"),
            73,
        ),
        ("Digest username=\"u\", realm=\"r\"".to_owned(), 30),
    ];
    for (input, offset) in responses {
        let e = DigestResponse::parse(input).unwrap_err();
        assert_eq!(
            (e.element, e.offset),
            (Element::Digest, *offset),
            "{input:?}"
        );
    }
    // DigestError wraps parse errors.
    let e: DigestError = Challenge::parse("").unwrap_err().into();
    assert!(matches!(e, DigestError::Parse(_)));
}

#[test]
fn debug_never_shows_the_password() {
    let mut creds = Credentials::new("alice", "hunter2-secret");
    let shown = format!("{creds:?} {:?} {:#?}", creds.password(), creds.freeze());
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("alice") && shown.contains("***"));
    let secret = StoredSecret::UserPassword {
        username: "alice",
        password: "hunter2-secret",
    };
    let shown = format!(
        "{secret:?} {:?} {:?}",
        StoredSecret::Password("hunter2-secret"),
        StoredSecret::Ha1("hunter2-secret")
    );
    assert!(!shown.contains("hunter2"), "{shown}");

    // Getters, setters, copies and frozen copies.
    creds.set_username("bob");
    creds.set_password(String::from("new"));
    assert_eq!(creds.username(), "bob");
    assert_eq!(creds.password().expose(), "new");
    assert!(!creds.password().is_empty());
    let frozen = creds.freeze();
    let mut copy = Credentials::clone(&frozen);
    copy.set_password(Password::new("other"));
    assert_eq!(frozen.password().expose(), "new");
    assert_ne!(copy, *frozen);
    assert_eq!(Password::from("x"), Password::new("x"));
    assert_ne!(Password::from("x"), Password::new("y"));
}

#[test]
fn fuzz_seeds_round_trip() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/digest_challenge");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        check_round_trip(&text);
        let parsed = Challenge::parse(&text).is_ok()
            || DigestResponse::parse(&text).is_ok()
            || AuthenticationInfo::parse(&text).is_ok();
        assert!(parsed, "seed {path:?} does not parse");
        n += 1;
    }
    assert!(n >= 5, "{n} seeds in {dir:?}");
}

#[test]
fn tricky_round_trips() {
    for s in [
        "Digest realm=\"\", nonce=\"\"",
        "Digest realm=r, nonce=n, algorithm=\"\", qop=\"\", domain=\"\"",
        "Digest realm=r, nonce=n, algorithm=\"a b\", qop=\"a\\\"b\", charset=\"x y\"",
        "Digest realm=r, nonce=n, x=é, y=\"\\\\\", z=a=b",
        "Foo a=\"\", b=c, d=\"e f\"",
        "Foo abc=",
        "Foo",
        "Foo a=1,, Bar, Baz x==, Qux y=\"z\"",
        "Digest username=u, realm=r, nonce=n, uri=u, response=r, qop=\"auth, auth-int\", \
         nc=FFFFFFFF, cnonce=\"\"",
        "Digest username*=utf-8'de'%C3%A4%22%5C, realm=r, nonce=n, uri=u, response=r",
        "a=1, nc=00000000, qop=x, rspauth=\"\"",
    ] {
        check_round_trip(s);
    }
}

mod props {
    use super::check_round_trip;
    use proptest::prelude::*;

    /// Fragments that steer random input toward the interesting grammar.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Digest ".to_owned()),
            Just("Basic ".to_owned()),
            Just("realm=".to_owned()),
            Just("nonce=".to_owned()),
            Just("username=".to_owned()),
            Just("username*=UTF-8''".to_owned()),
            Just("uri=".to_owned()),
            Just("response=".to_owned()),
            Just("qop=".to_owned()),
            Just("nc=".to_owned()),
            Just("algorithm=".to_owned()),
            Just("userhash=true".to_owned()),
            Just("stale=true".to_owned()),
            Just("domain=".to_owned()),
            Just(", ".to_owned()),
            Just(",".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just("=".to_owned()),
            Just(" ".to_owned()),
            Just("\r\n ".to_owned()),
            "[a-zA-Z0-9%'/+.~_-]{0,6}",
            "\\PC{0,3}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parsers_never_panic_and_round_trip(parts in proptest::collection::vec(fragment(), 0..16)) {
            check_round_trip(&parts.concat());
        }
    }
}
