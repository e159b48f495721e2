//! Who the client is on the network: the address every per-client limit counts by.
//!
//! Invariant: the client is the TCP peer, unless that peer is a reverse proxy named in
//! `LIMS_TRUSTED_PROXIES`. Then it is the rightmost address of `X-Forwarded-For` that is
//! not itself a trusted proxy: each proxy appends the address it saw, so everything to
//! the left of that hop was written by the client and proves nothing. Without the
//! setting the header is ignored. Every limit asks here, so they all agree.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::{web, HttpRequest};

use crate::config::TrustedProxies;
use crate::web::AppState;

/// The client address of a request.
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let Some(st) = req.app_data::<web::Data<AppState>>() else {
        return peer.to_canonical();
    };
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    resolve(peer, forwarded, &st.config.trusted_proxies)
}

/// The client behind `peer`, given the `X-Forwarded-For` headers in the order they
/// came (several headers read as one list).
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    proxies: &TrustedProxies,
) -> IpAddr {
    let mut client = peer.to_canonical();
    if proxies.is_empty() || !proxies.contains(client) {
        return client;
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|h| h.split(',')).collect();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !proxies.contains(ip) {
                    break;
                }
            }
            // A hop a trusted proxy would never write: stop at the last one we trust.
            None => break,
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| a.ip().to_canonical())
}

/// The key a limit counts a client under: the IPv4 address, or the /64 network of an
/// IPv6 address (one subscriber usually holds a whole /64, so counting single IPv6
/// addresses would give it 2^64 allowances).
pub fn client_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let net = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", Ipv6Addr::from(net))
        }
    }
}

/// The key of the request's client ([`client_key`] of [`client_ip`]).
pub fn client_key_of(req: &HttpRequest) -> String {
    client_key(client_ip(req))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_header_counts_only_behind_a_trusted_proxy_and_only_its_rightmost_untrusted_hop() {
        let none = TrustedProxies::default();
        let proxies = TrustedProxies::parse("10.0.0.1, 10.9.0.0/16").expect("proxies");
        let peer = ip("10.0.0.1");
        let r = |peer: IpAddr, h: &[&str], p: &TrustedProxies| resolve(peer, h.iter().copied(), p);
        // No setting: the header is ignored.
        assert_eq!(r(peer, &["203.0.113.7"], &none), peer);
        // A peer that is not a proxy: ignored.
        assert_eq!(
            r(ip("198.51.100.1"), &["203.0.113.7"], &proxies),
            ip("198.51.100.1")
        );
        // Behind the proxy: the hop it saw.
        assert_eq!(r(peer, &["203.0.113.7"], &proxies), ip("203.0.113.7"));
        // What the client wrote on the left does not count.
        assert_eq!(
            r(peer, &["1.1.1.1, 203.0.113.7"], &proxies),
            ip("203.0.113.7")
        );
        // Chained trusted proxies are skipped, across several headers too.
        assert_eq!(
            r(peer, &["1.1.1.1, 203.0.113.7", "10.9.4.4"], &proxies),
            ip("203.0.113.7")
        );
        // Ports and IPv6.
        assert_eq!(r(peer, &["203.0.113.7:5555"], &proxies), ip("203.0.113.7"));
        assert_eq!(r(peer, &["[2001:db8::5]:443"], &proxies), ip("2001:db8::5"));
        // Garbage where the proxy wrote: the last trusted address is the client.
        assert_eq!(r(peer, &["203.0.113.7, unknown"], &proxies), peer);
        assert_eq!(r(peer, &[], &proxies), peer);
        // All hops trusted: the leftmost.
        assert_eq!(r(peer, &["10.9.1.1"], &proxies), ip("10.9.1.1"));
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_network_and_mapped_ipv4_as_ipv4() {
        assert_eq!(client_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(
            client_key(ip("2001:db8:1:2:ffff::1")),
            client_key(ip("2001:db8:1:2::9"))
        );
        assert_ne!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(client_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(client_key(ip("192.0.2.1")), "192.0.2.1");
    }
}
