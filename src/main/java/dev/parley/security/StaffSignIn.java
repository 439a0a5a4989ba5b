package dev.parley.security;

import java.util.Optional;

/**
 * How a member of staff proves who they are to the console. {@link StaffKeys} checks a named key of
 * {@code parley.console.staff}; an identity provider (OIDC) would be another way in that ends the
 * same way: a name, for which {@link StaffSessions} opens a cookie session. Nothing after sign-in
 * depends on how it was done.
 */
public interface StaffSignIn {

    /** The staff member's name if {@code name} and {@code key} are one of theirs; empty otherwise. */
    Optional<String> verify(String name, String key);
}
