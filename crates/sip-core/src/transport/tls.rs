//! rustls configurations (ring provider, built explicitly) from [`TlsOptions`].

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme,
    SupportedProtocolVersion,
};
use tokio_rustls::TlsAcceptor;

use super::{TlsOptions, TlsVersion, TransportError};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn versions(min: TlsVersion) -> &'static [&'static SupportedProtocolVersion] {
    static TLS13_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
    match min {
        TlsVersion::Tls12 => rustls::ALL_VERSIONS,
        TlsVersion::Tls13 => TLS13_ONLY,
    }
}

fn bad(file: &Path, reason: impl ToString) -> TransportError {
    TransportError::BadCertificate {
        file: file.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn load_certs(file: &Path) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certs = CertificateDer::pem_file_iter(file)
        .map_err(|e| bad(file, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(file, e))?;
    if certs.is_empty() {
        return Err(bad(file, "no certificate in file"));
    }
    Ok(certs)
}

fn load_key(file: &Path) -> Result<PrivateKeyDer<'static>, TransportError> {
    PrivateKeyDer::from_pem_file(file).map_err(|e| bad(file, e))
}

fn load_roots(opts: &TlsOptions) -> Result<RootCertStore, TransportError> {
    let mut roots = RootCertStore::empty();
    match &opts.ca_file {
        Some(file) => {
            for cert in load_certs(file)? {
                roots.add(cert).map_err(|e| bad(file, e))?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            for e in &native.errors {
                tracing::debug!(error = %e, "system root certificate not loaded");
            }
            let (added, ignored) = roots.add_parsable_certificates(native.certs);
            tracing::debug!(added, ignored, "system root certificates loaded");
        }
    }
    Ok(roots)
}

/// The cert chain and key when both files are configured.
fn identity(
    opts: &TlsOptions,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, TransportError> {
    match (&opts.cert_file, &opts.privkey_file) {
        (Some(c), Some(k)) => Ok(Some((load_certs(c)?, load_key(k)?))),
        (None, None) => Ok(None),
        _ => Err(TransportError::Config(
            "cert_file and privkey_file must be given together",
        )),
    }
}

/// The connector for outgoing TLS connections.
pub(super) fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, TransportError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(opts.min_version))
        .map_err(TransportError::Tls)?;
    let builder = if opts.verify_server {
        builder.with_root_certificates(load_roots(opts)?)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoServerVerification(provider)))
    };
    let config = match identity(opts)? {
        Some((certs, key)) => builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| bad(opts.privkey_file.as_deref().unwrap_or(Path::new("")), e))?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The acceptor of the TLS listener.
pub(super) fn server_acceptor(opts: &TlsOptions) -> Result<TlsAcceptor, TransportError> {
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(opts.min_version))
        .map_err(TransportError::Tls)?;
    let builder = if opts.verify_client {
        if opts.ca_file.is_none() {
            return Err(TransportError::Config("verify_client needs ca_file"));
        }
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(load_roots(opts)?), provider)
                .build()
                .map_err(|e| {
                    bad(
                        opts.ca_file.as_deref().unwrap_or(Path::new("")),
                        e.to_string(),
                    )
                })?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let Some((certs, key)) = identity(opts)? else {
        return Err(TransportError::Config(
            "the TLS listener needs cert_file and privkey_file",
        ));
    };
    let config = builder
        .with_single_cert(certs, key)
        .map_err(|e| bad(opts.cert_file.as_deref().unwrap_or(Path::new("")), e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The name to verify and send as SNI: the given name, else the IP address.
pub(super) fn server_name(
    name: Option<String>,
    destination: SocketAddr,
) -> Result<ServerName<'static>, TransportError> {
    match name {
        Some(n) => {
            ServerName::try_from(n.clone()).map_err(|_| TransportError::InvalidServerName(n))
        }
        None => Ok(ServerName::IpAddress(destination.ip().into())),
    }
}

/// Turns a failed client handshake into a typed error.
pub(super) fn handshake_error(e: io::Error, peer: SocketAddr) -> TransportError {
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(reason)) => {
            TransportError::CertificateVerification {
                peer,
                reason: reason.clone(),
            }
        }
        Some(other) => TransportError::Tls(other.clone()),
        None => TransportError::from(e),
    }
}

/// Accepts any server certificate (only when `verify_server` is off), still checking the
/// handshake signatures.
#[derive(Debug)]
struct NoServerVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoServerVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
