//! Outbound webhook requests go only to public addresses (unless the
//! server is configured otherwise): a merchant-supplied URL must not reach
//! Shipgate's own network. Names are resolved here, not by the HTTP client,
//! so the addresses checked are the addresses connected to (no DNS
//! rebinding between check and connect), and redirects are not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// False for loopback, private, link-local, unspecified, multicast,
/// broadcast, shared (CGNAT), reserved (240/4, benchmarking 198.18/15, IETF
/// 192.0.0/24) and unique-local addresses, and for IPv6 addresses that carry
/// an IPv4 one (mapped, compatible, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`,
/// 6to4 `2002::/16`) when that IPv4 address is not public.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 one reaches through a translator or tunnel.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let octets = ip.octets();
    let last_four = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    // IPv4-compatible `::a.b.c.d` (deprecated; `::` and `::1` are not IPv4).
    if s[..6] == [0; 6] && !(ip.is_loopback() || ip.is_unspecified()) {
        return Some(last_four);
    }
    // NAT64, well-known prefix 64:ff9b::/96 and local-use 64:ff9b:1::/48.
    if (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]) || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
        return Some(last_four);
    }
    // 6to4: 2002:AABB:CCDD::/48 carries A.B.C.D.
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    None
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10, carrier-grade NAT
    let reserved = a >= 240 // 240.0.0.0/4 (and broadcast)
        || (a == 198 && (b == 18 || b == 19)) // 198.18.0.0/15, benchmarking
        || (a == 192 && b == 0 && c == 0); // 192.0.0.0/24, IETF protocol assignments
    !(ip.is_private()
        || reserved
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || shared
        || a == 0)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00; // fc00::/7
    let link_local = first & 0xffc0 == 0xfe80; // fe80::/10
    !(ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || unique_local || link_local)
}

/// Resolves `host` and keeps the addresses a webhook may go to.
pub async fn resolve(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, String> {
    // A literal address is taken as it is (the HTTP client does not resolve it either).
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let all: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| format!("could not resolve {host}: {e}"))?
            .collect(),
    };
    if allow_private {
        return Ok(all);
    }
    let allowed: Vec<_> = all.iter().copied().filter(|a| is_public(a.ip())).collect();
    if allowed.is_empty() {
        let listed: Vec<_> = all.iter().map(|a| a.ip().to_string()).collect();
        return Err(format!(
            "refused: {host} resolves only to private or reserved addresses ({}); \
             webhooks go to public addresses only",
            listed.join(", ")
        ));
    }
    Ok(allowed)
}

/// The HTTP client's resolver: the same filter at connection time.
pub struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve(&host, 0, false).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "240.0.0.1",
            "198.18.0.1",
            "192.0.0.8",
            "::10.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b:1::a9fe:a9fe",
            "2002:0a00:0001::1",
            "2002:7f00:0001::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn private_targets_are_refused_unless_allowed() {
        let err = resolve("127.0.0.1", 80, false).await.unwrap_err();
        assert!(err.starts_with("refused: 127.0.0.1"), "{err}");
        assert!(resolve("[::1]", 80, false).await.is_err());
        assert!(resolve("localhost", 80, false).await.is_err());
        assert_eq!(
            resolve("127.0.0.1", 8080, true).await.unwrap(),
            ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]
        );
    }
}
