//! Header field names: the known ones as an enum (with compact forms), others kept as written.

use std::fmt;

use bytestring::ByteString;

macro_rules! header_names {
    ($( $variant:ident => $canonical:literal $(, compact $compact:literal)? ; )*) => {
        /// A header field name. Known names compare and print canonically; compact forms
        /// (`v`, `f`, `i`…) parse to the same variant. Unknown names are kept as written and
        /// compare ASCII case-insensitively.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum HeaderName {
            $(
                #[doc = concat!("`", $canonical, "`")]
                $variant,
            )*
            /// A header this crate has no name for, as written.
            Other(ByteString),
        }

        impl HeaderName {
            /// The canonical spelling (`Call-ID`, `WWW-Authenticate`…), or the unknown name as
            /// written.
            pub fn as_str(&self) -> &str {
                match self {
                    $( HeaderName::$variant => $canonical, )*
                    HeaderName::Other(s) => s,
                }
            }

            /// The compact form (RFC 3261 §7.3.3 and later registrations), if any.
            pub fn compact(&self) -> Option<char> {
                match self {
                    $( $( HeaderName::$variant => Some($compact), )? )*
                    _ => None,
                }
            }

            /// Finds a known name: the canonical spelling first (what almost every sender
            /// writes), then any ASCII case, then the compact forms.
            pub(crate) fn lookup(name: &str) -> Option<HeaderName> {
                match name {
                    $( $canonical => return Some(HeaderName::$variant), )*
                    _ => {}
                }
                let bytes = name.as_bytes();
                if bytes.len() == 1 {
                    let c = char::from(bytes[0].to_ascii_lowercase());
                    $( $( if c == $compact { return Some(HeaderName::$variant); } )? )*
                    return None;
                }
                $(
                    if bytes.len() == $canonical.len() && bytes.eq_ignore_ascii_case($canonical.as_bytes()) {
                        return Some(HeaderName::$variant);
                    }
                )*
                None
            }
        }
    };
}

header_names! {
    Accept => "Accept";
    AcceptContact => "Accept-Contact", compact 'a';
    AcceptEncoding => "Accept-Encoding";
    AcceptLanguage => "Accept-Language";
    AlertInfo => "Alert-Info";
    Allow => "Allow";
    AllowEvents => "Allow-Events", compact 'u';
    AuthenticationInfo => "Authentication-Info";
    Authorization => "Authorization";
    CallId => "Call-ID", compact 'i';
    CallInfo => "Call-Info";
    Contact => "Contact", compact 'm';
    ContentDisposition => "Content-Disposition";
    ContentEncoding => "Content-Encoding", compact 'e';
    ContentId => "Content-ID";
    ContentLanguage => "Content-Language";
    ContentLength => "Content-Length", compact 'l';
    ContentTransferEncoding => "Content-Transfer-Encoding";
    ContentType => "Content-Type", compact 'c';
    CSeq => "CSeq";
    Date => "Date";
    ErrorInfo => "Error-Info";
    Event => "Event", compact 'o';
    Expires => "Expires";
    From => "From", compact 'f';
    Identity => "Identity", compact 'y';
    InReplyTo => "In-Reply-To";
    MaxForwards => "Max-Forwards";
    MimeVersion => "MIME-Version";
    MinExpires => "Min-Expires";
    MinSe => "Min-SE";
    Organization => "Organization";
    Path => "Path";
    Priority => "Priority";
    ProxyAuthenticate => "Proxy-Authenticate";
    ProxyAuthorization => "Proxy-Authorization";
    ProxyRequire => "Proxy-Require";
    RAck => "RAck";
    Reason => "Reason";
    RecordRoute => "Record-Route";
    ReferSub => "Refer-Sub";
    ReferTo => "Refer-To", compact 'r';
    ReferredBy => "Referred-By", compact 'b';
    RejectContact => "Reject-Contact", compact 'j';
    Replaces => "Replaces";
    ReplyTo => "Reply-To";
    RequestDisposition => "Request-Disposition", compact 'd';
    Require => "Require";
    RetryAfter => "Retry-After";
    Route => "Route";
    RSeq => "RSeq";
    Server => "Server";
    ServiceRoute => "Service-Route";
    SessionExpires => "Session-Expires", compact 'x';
    SipETag => "SIP-ETag";
    SipIfMatch => "SIP-If-Match";
    Subject => "Subject", compact 's';
    SubscriptionState => "Subscription-State";
    Supported => "Supported", compact 'k';
    Timestamp => "Timestamp";
    To => "To", compact 't';
    Unsupported => "Unsupported";
    UserAgent => "User-Agent";
    Via => "Via", compact 'v';
    Warning => "Warning";
    WwwAuthenticate => "WWW-Authenticate";
}

impl HeaderName {
    /// Looks a name up case-insensitively (compact forms included); unknown names become
    /// [`HeaderName::Other`] holding `raw`.
    pub fn from_bytestring(raw: ByteString) -> HeaderName {
        match HeaderName::lookup(&raw) {
            Some(known) => known,
            None => HeaderName::Other(raw),
        }
    }

    /// Looks up `name`, a slice of `src`; only an unknown name takes a (zero-copy) slice.
    pub(crate) fn from_slice_of(src: &ByteString, name: &str) -> HeaderName {
        match HeaderName::lookup(name) {
            Some(known) => known,
            None => HeaderName::Other(src.slice_ref(name)),
        }
    }

    /// Looks up a name given as a string.
    pub fn new(name: &str) -> HeaderName {
        match HeaderName::lookup(name) {
            Some(known) => known,
            None => HeaderName::Other(ByteString::from(name)),
        }
    }

    /// True for headers whose value is a comma-separated list that may be split across lines
    /// (RFC 3261 §7.3.1).
    pub fn is_list(&self) -> bool {
        matches!(
            self,
            HeaderName::Accept
                | HeaderName::AcceptContact
                | HeaderName::AcceptEncoding
                | HeaderName::AcceptLanguage
                | HeaderName::AlertInfo
                | HeaderName::Allow
                | HeaderName::AllowEvents
                | HeaderName::CallInfo
                | HeaderName::Contact
                | HeaderName::ContentEncoding
                | HeaderName::ContentLanguage
                | HeaderName::ErrorInfo
                | HeaderName::InReplyTo
                | HeaderName::Path
                | HeaderName::ProxyRequire
                | HeaderName::Reason
                | HeaderName::RecordRoute
                | HeaderName::RejectContact
                | HeaderName::RequestDisposition
                | HeaderName::Require
                | HeaderName::Route
                | HeaderName::ServiceRoute
                | HeaderName::Supported
                | HeaderName::Unsupported
                | HeaderName::Via
                | HeaderName::Warning
        )
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &HeaderName) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (HeaderName::Other(_), _) | (_, HeaderName::Other(_)) => false,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }
}

impl Eq for HeaderName {}

impl std::hash::Hash for HeaderName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            HeaderName::Other(s) => {
                for b in s.bytes() {
                    state.write_u8(b.to_ascii_lowercase());
                }
            }
            known => std::mem::discriminant(known).hash(state),
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for HeaderName {
    fn from(s: &str) -> Self {
        HeaderName::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case() {
        assert_eq!(HeaderName::new("v"), HeaderName::Via);
        assert_eq!(HeaderName::new("V"), HeaderName::Via);
        assert_eq!(HeaderName::new("call-id"), HeaderName::CallId);
        assert_eq!(HeaderName::new("i").as_str(), "Call-ID");
        assert_eq!(
            HeaderName::new("www-AUTHENTICATE"),
            HeaderName::WwwAuthenticate
        );
        assert_eq!(HeaderName::Via.compact(), Some('v'));
        let x = HeaderName::new("X-Custom");
        assert_eq!(x, HeaderName::new("x-custom"));
        assert_eq!(x.as_str(), "X-Custom");
        assert_ne!(x, HeaderName::Via);
    }
}
