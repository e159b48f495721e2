//! Who the client is on the network: the address every per-client limit counts by.
//!
//! Today this is the TCP peer. When a reverse proxy sits in front of the server
//! (`LIMS_TRUSTED_PROXIES`), the address comes from `X-Forwarded-For` instead; every
//! limit asks here, so they all agree on who a client is.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::HttpRequest;

/// The client address of a request.
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
