"""DMARC evaluation (RFC 7489): policy discovery, identifier alignment and the disposition.

The organizational domain comes from the Public Suffix List bundled with the
`publicsuffixlist` package (no download at run time; the list is as fresh as the installed
package).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from smtp.dkim_check import DkimResult
from smtp.resolver import DnsTemporaryError, NoSuchDomain, Resolver
from smtp.spf_check import SpfResult

POLICIES = ("none", "quarantine", "reject")


@dataclass(frozen=True)
class DmarcPolicy:
    """The tags of a DMARC record that decide the outcome (RFC 7489 6.3)."""

    policy: str
    subdomain_policy: str
    strict_dkim: bool
    strict_spf: bool
    percent: int


@dataclass(frozen=True)
class DmarcResult:
    """pass, fail, none, temperror or permerror; `disposition` is what the receiver does."""

    result: str
    policy: str  # the policy that applied, "" without a record
    disposition: str  # none, quarantine or reject


@lru_cache(maxsize=1)
def _suffix_list() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    """Return the registered domain of `domain` (RFC 7489 3.2), or the domain itself."""
    domain = domain.lower().rstrip(".")
    return _suffix_list().privatesuffix(domain) or domain


def aligned(identifier: str, from_domain: str, strict: bool) -> bool:
    """Tell whether an authenticated domain aligns with the From domain (RFC 7489 3.1)."""
    identifier, from_domain = identifier.lower().rstrip("."), from_domain.lower().rstrip(".")
    if strict:
        return identifier == from_domain
    return organizational_domain(identifier) == organizational_domain(from_domain)


def parse_record(text: str) -> DmarcPolicy | None:
    """Parse a DMARC TXT record; None if it is not one or has no valid p= (RFC 7489 6.6.3)."""
    pairs = [part.partition("=") for part in text.split(";") if part.strip()]
    tags = {name.strip().lower(): value.strip() for name, separator, value in pairs if separator}
    if not pairs or pairs[0][0].strip() != "v" or pairs[0][2].strip() != "DMARC1":
        return None  # v=DMARC1 must be the first tag
    policy = tags.get("p", "").lower()
    if policy not in POLICIES:
        return None
    subdomain_policy = tags.get("sp", "").lower()
    percent = tags.get("pct", "100")
    return DmarcPolicy(
        policy=policy,
        subdomain_policy=subdomain_policy if subdomain_policy in POLICIES else policy,
        strict_dkim=tags.get("adkim", "r").lower() == "s",
        strict_spf=tags.get("aspf", "r").lower() == "s",
        percent=min(100, int(percent)) if percent.isdigit() else 100,
    )


def find_policy(resolver: Resolver, from_domain: str) -> tuple[DmarcPolicy, bool] | None:
    """Look up the policy for the From domain, then its organizational domain (RFC 7489 6.6.3).

    Returns the policy and whether it came from the organizational domain. Raises
    DnsTemporaryError when a lookup fails.
    """
    organization = organizational_domain(from_domain)
    candidates = [from_domain] if organization == from_domain else [from_domain, organization]
    for index, domain in enumerate(candidates):
        try:
            records = resolver.lookup(f"_dmarc.{domain}", "TXT")
        except NoSuchDomain:
            records = []
        policies = [p for p in (parse_record(r) for r in records) if p is not None]
        if len(policies) == 1:
            return policies[0], index == 1
    return None


def evaluate_dmarc(
    resolver: Resolver, from_domain: str, spf: SpfResult, dkim: Sequence[DkimResult]
) -> DmarcResult:
    """Decide the DMARC result and disposition for a message (RFC 7489 6.6)."""
    try:
        found = find_policy(resolver, from_domain)
    except DnsTemporaryError:
        return DmarcResult("temperror", "", "none")
    if found is None:
        return DmarcResult("none", "", "none")
    policy, inherited = found
    applied = policy.subdomain_policy if inherited else policy.policy
    spf_ok = spf.result == "pass" and aligned(spf.domain, from_domain, policy.strict_spf)
    dkim_ok = any(
        r.result == "pass" and aligned(r.domain, from_domain, policy.strict_dkim) for r in dkim
    )
    if spf_ok or dkim_ok:
        return DmarcResult("pass", applied, "none")
    if spf.result == "temperror" or any(r.result == "temperror" for r in dkim):
        # A check that could not finish may have passed: never act on a guess.
        return DmarcResult("temperror", applied, "none")
    if applied != "none" and random.randrange(100) >= policy.percent:
        # RFC 7489 6.6.4: a message outside the pct= sample gets the next milder policy.
        return DmarcResult("fail", applied, "quarantine" if applied == "reject" else "none")
    return DmarcResult("fail", applied, applied)
