//! Who may use which account. A verified caller may use an account iff its
//! token's `accounts` claim (an array of strings) lists it or its `sub` is
//! it; its first account (else its `sub`) is the one a REST request acts on
//! when it names none. An anonymous caller — the host serves without
//! `[auth]`, or with `required = false` and no token was sent — may use any
//! account, as the Python system's single-user frontend does.

use topicwire_guest::Caller;

/// Whether `caller` may read and trade `account`; the refusal says why.
pub fn check(caller: &Caller, account: &str) -> Result<(), String> {
    if caller.is_anonymous() || caller.subject() == Some(account) || caller.strings("accounts").contains(&account) {
        Ok(())
    } else {
        Err(format!("account `{account}` is not one of yours"))
    }
}

/// The account a request of `caller` acts on when it names none: the first
/// of its `accounts`, else its `sub`; `None` for an anonymous caller (the
/// module's default account applies) and for a token that names neither.
pub fn default_account(caller: &Caller) -> Option<String> {
    caller
        .strings("accounts")
        .first()
        .map(|account| (*account).to_owned())
        .or_else(|| caller.subject().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn caller(claims: serde_json::Value) -> Caller {
        let subject = claims["sub"].as_str().map(str::to_owned);
        Caller::from_json(subject, &claims.to_string()).unwrap()
    }

    #[test]
    fn a_caller_uses_its_accounts_and_its_subject() {
        let alice = caller(json!({"sub": "alice", "accounts": ["A1", "A2"]}));
        assert!(check(&alice, "A1").is_ok() && check(&alice, "A2").is_ok() && check(&alice, "alice").is_ok());
        assert_eq!(check(&alice, "B7").unwrap_err(), "account `B7` is not one of yours");
        assert_eq!(default_account(&alice).as_deref(), Some("A1"));
        let bob = caller(json!({"sub": "bob"}));
        assert_eq!(default_account(&bob).as_deref(), Some("bob"));
        assert!(check(&bob, "A1").is_err());
    }

    #[test]
    fn claims_that_are_not_strings_grant_nothing() {
        let odd = caller(json!({"sub": "carol", "accounts": "A1"}));
        assert!(check(&odd, "A1").is_err());
        let numbers = caller(json!({"sub": "dave", "accounts": [1, 2]}));
        assert!(check(&numbers, "1").is_err());
    }

    #[test]
    fn an_anonymous_caller_uses_any_account() {
        assert!(check(&Caller::anonymous(), "anything").is_ok());
        assert_eq!(default_account(&Caller::anonymous()), None);
    }
}
