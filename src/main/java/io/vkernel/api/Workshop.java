package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.sandbox.Attendees;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Who is calling, in workshop mode, and what they may see: an attendee sees and creates their own kernels, the
 * instructor everything. In open mode everyone is treated as the instructor, so nothing changes for one person
 * on a laptop. Controllers ask here; the rules on paths are in {@link WorkshopSecurity}.
 */
class Workshop {

    static final String INSTRUCTOR = "instructor";
    static final String ROLE_INSTRUCTOR = "ROLE_INSTRUCTOR";
    static final String ROLE_ATTENDEE = "ROLE_ATTENDEE";

    /** The caller: an attendee's id, or the instructor; {@code attendee} is null for the instructor and for nobody. */
    record Caller(String attendee, boolean instructor) {
    }

    private final boolean enabled;
    private final Attendees attendees;

    Workshop(boolean enabled, Attendees attendees) {
        this.enabled = enabled;
        this.attendees = attendees;
    }

    boolean enabled() {
        return enabled;
    }

    Attendees attendees() {
        return attendees;
    }

    /** The caller of the request being served (from Spring Security's context). */
    Caller caller() {
        return caller(SecurityContextHolder.getContext().getAuthentication());
    }

    Caller caller(Authentication auth) {
        if (!enabled) {
            return new Caller(null, true);
        }
        if (auth == null || !auth.isAuthenticated() || auth instanceof AnonymousAuthenticationToken) {
            return new Caller(null, false);
        }
        boolean instructor = auth.getAuthorities().stream().anyMatch(a -> ROLE_INSTRUCTOR.equals(a.getAuthority()));
        return instructor ? new Caller(null, true) : new Caller(auth.getName(), false);
    }

    /** The kernels the caller may see: all of them for the instructor (and in open mode), else the caller's own. */
    List<Kernel> visible(Collection<Kernel> all) {
        Caller caller = caller();
        if (caller.instructor()) {
            return List.copyOf(all);
        }
        List<String> mine = caller.attendee() == null ? List.of() : attendees.kernelsOf(caller.attendee());
        return all.stream().filter(k -> mine.contains(k.id())).toList();
    }

    /**
     * Creates a kernel for the caller: the instructor's (and open mode's) kernels belong to no attendee; an attendee
     * gets another kernel within their quota; a caller without a token becomes a new attendee and gets a token.
     */
    Attendees.Created create(Supplier<Kernel> create) {
        Caller caller = caller();
        if (caller.instructor()) {
            return new Attendees.Created(create.get(), null, null);
        }
        return attendees.create(caller.attendee(), create);
    }

    /** May the caller use kernel {@code id}? */
    boolean mayUse(Caller caller, String id) {
        if (caller.instructor()) {
            return true;
        }
        return caller.attendee() != null && attendees.owner(id).map(caller.attendee()::equals).orElse(false)
                && !KernelRegistry.DEFAULT_ID.equals(id);
    }
}
