package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.ErrorQueue;
import io.vkernel.kernel.socket.EventPoll;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The error queue as an application reads it through recvmsg(MSG_ERRQUEUE): the strace text of each notification,
 * transmit timestamps keyed and stamped as __skb_complete_tx_timestamp() does, SCM_TSTAMP_ACK only once SND.UNA is
 * past the key byte (tcp_ack_tstamp()), zero-copy ranges widened only into a zero-copy notification
 * (skb_zerocopy_notify_extend()), and the EPOLLERR wake-up a write whose key byte left at once gives (from the
 * survivors of ErrorQueue, TxTimestamps and ZeroCopySend in the whole-kernel PIT run).
 */
class ErrorQueueMutantsTest {

    private static final int TX_SOFTWARE = ErrorQueue.SOF_TX_SOFTWARE, SOFTWARE = ErrorQueue.SOF_SOFTWARE,
            OPT_ID = ErrorQueue.SOF_OPT_ID, TX_SCHED = ErrorQueue.SOF_TX_SCHED, TX_ACK = ErrorQueue.SOF_TX_ACK,
            OPT_ID_TCP = ErrorQueue.SOF_OPT_ID_TCP;

    private final TcpFixture t = new TcpFixture();

    private SyscallResult timestamping(long flags) {
        return done(t.kernel.setsockopt(t.pid, t.fd, "SO_TIMESTAMPING", flags, true));
    }

    private SyscallResult errqueue() {
        return done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE));
    }

    private SyscallResult zeroCopySend(int bytes) {
        return done(t.kernel.send(t.pid, t.fd, new byte[bytes], Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
    }

    /** The peer acknowledges up to {@code ack} (absolute sequence number), sending nothing. */
    private PacketReport ackUpTo(int ack) {
        return t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), ack, "");
    }

    private static String recvmsg(int fd, String cmsgData) {
        return "recvmsg(" + fd + ", {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"\", iov_len=10}], msg_iovlen=1, msg_control=[{cmsg_len=48, "
                + "cmsg_level=SOL_IP, cmsg_type=IP_RECVERR, cmsg_data=" + cmsgData + "}], msg_controllen=48, msg_flags=MSG_ERRQUEUE}, MSG_ERRQUEUE) = 0";
    }

    @Test
    void eachNotification_readsBackInStraceAsItsOriginAndCodeName() {
        t.established();
        t.advanceSeconds(1);
        assertThat(done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true)).ret()).isZero();
        assertThat(timestamping(TX_SOFTWARE).ret()).isZero();
        assertThat(zeroCopySend(100).ret()).isEqualTo(100);
        int end = t.tcb().sndNxt();
        ackUpTo(end);
        // the SND stamp (no OPT_ID: key 0, no SOFTWARE: time 0), then the zero-copy range [0, 0]
        SyscallResult stamp = errqueue();
        assertThat(stamp.strace()).isEqualTo(recvmsg(t.fd, "{ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, ee_type=0, ee_code=0, "
                + "ee_pad=0, ee_info=0, ee_data=0, offender={sa_family=AF_UNSPEC}}"));
        assertThat(stamp.extendedErr().timestampNs()).as("no SOF_TIMESTAMPING_SOFTWARE: no software time").isZero();
        SyscallResult zc = errqueue();
        assertThat(zc.strace()).isEqualTo(recvmsg(t.fd, "{ee_errno=0, ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_type=0, "
                + "ee_code=SO_EE_CODE_ZEROCOPY_COPIED, ee_pad=0, ee_info=0, ee_data=0, offender={sa_family=AF_UNSPEC}}"));
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    @Test
    void oneAckForTwoZeroCopyWrites_queuesEachWritesAckStampBeforeItsRange_skbBySkb() {
        // tcp_clean_rtx_queue(): tcp_ack_tstamp() on an skb, then its free completes the range (__msg_zerocopy_callback());
        // the second range cannot join the first (skb_zerocopy_notify_extend()) because a stamp lies between them
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        timestamping(TX_ACK | OPT_ID);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true)); // both writes leave before the ACK
        zeroCopySend(100);
        zeroCopySend(100);
        ackUpTo(t.tcb().sndNxt());
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ErrorQueue.ExtendedErr e = errqueue().extendedErr();
            order.add((e.origin() == ErrorQueue.SO_EE_ORIGIN_ZEROCOPY ? "zerocopy " + e.info() + ".." : "ack stamp ") + e.data());
        }
        assertThat(order).containsExactly("ack stamp 99", "zerocopy 0..0", "ack stamp 199", "zerocopy 1..1");
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    @Test
    void aZeroCopySendExtendsTheUnsentTailsRange_evenAfterAnAckCompletedAnEarlierRange() {
        // msg_zerocopy_realloc(): the next send joins the uarg of the unsent tail skb; an ACK that completes another
        // range meanwhile leaves that tail alone, so the joined range [1, 2] notifies only once all of it is acknowledged
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        t.peer.window = 100;
        t.peer.ack();
        zeroCopySend(100); // id 0 fills the window
        zeroCopySend(100); // id 1 waits unsent at the tail
        t.peer.window = 0;
        ackUpTo(t.tcb().sndNxt());
        assertThat(errqueue().extendedErr().data()).as("range 0 done").isZero();
        zeroCopySend(100); // id 2 joins id 1's range
        t.peer.window = 65535;
        ackUpTo(t.tcb().sndUna());
        assertThat(t.tcb().sndNxt() - t.tcb().sndUna()).as("both unsent sends leave").isEqualTo(200);
        ackUpTo(t.tcb().sndUna() + 100);
        assertErrno(errqueue(), Errno.EAGAIN);
        ackUpTo(t.tcb().sndNxt());
        ErrorQueue.ExtendedErr joined = errqueue().extendedErr();
        assertThat(joined.info() + ".." + joined.data()).isEqualTo("1..2");
    }

    @Test
    void aRangeEndingBeforeAStampedByte_isNotifiedBeforeThatStamp() {
        // the zero-copy write's skb is freed before the next write's skb is stamped
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        timestamping(TX_ACK | OPT_ID);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        zeroCopySend(100);
        done(t.kernel.send(t.pid, t.fd, new byte[1], 0, new PacketReport(null)));
        ackUpTo(t.tcb().sndNxt());
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ErrorQueue.ExtendedErr e = errqueue().extendedErr();
            order.add((e.origin() == ErrorQueue.SO_EE_ORIGIN_ZEROCOPY ? "zerocopy " + e.info() + ".." : "ack stamp ") + e.data());
        }
        assertThat(order).containsExactly("ack stamp 99", "zerocopy 0..0", "ack stamp 100");
    }

    @Test
    void aZeroCopySendEndedBySoSndtimeo_returnsWhatItQueued_andStillNotifiesItsRangeAndStampsItsLastByte() {
        // tcp_sendmsg_locked()'s out: after the timed-out wait: tcp_tx_timestamp() on the last byte queued, then
        // net_zcopy_put(), so the range completes once the peer has acknowledged every byte
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        timestamping(TX_ACK | OPT_ID);
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDTIMEO", 500, true));
        t.peer.window = 0;
        t.peer.ack();
        PendingCall call = pending(t.kernel.send(t.pid, t.fd, new byte[400_000], Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
        t.kernel.advance(500);
        long queued = call.result().ret();
        assertThat(queued).isBetween(1L, 399_999L);
        int end = t.tcb().sndUna() + (int) queued;
        t.peer.window = 65535;
        for (int round = 0; round < 100 && t.tcb().sndUna() != end; round++) {
            t.peer.consumeSent();
            t.peer.ack();
            t.advanceSeconds(0.01);
        }
        assertThat(t.tcb().sndUna()).isEqualTo(end);
        ErrorQueue.ExtendedErr stamp = errqueue().extendedErr();
        assertThat(stamp.info()).isEqualTo(ErrorQueue.SCM_TSTAMP_ACK);
        assertThat(stamp.data()).as("OPT_ID: the key is the last byte queued").isEqualTo(queued - 1);
        ErrorQueue.ExtendedErr range = errqueue().extendedErr();
        assertThat(range.origin()).isEqualTo(ErrorQueue.SO_EE_ORIGIN_ZEROCOPY);
        assertThat(range.info()).isZero();
        assertThat(range.data()).isZero();
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    @Test
    void aZeroCopyRange_isNotMergedIntoATimestampAtTheQueuesTail_evenWhenItsIdFollowsTheStampsKey() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        zeroCopySend(100); // id 0
        ackUpTo(t.tcb().sndNxt());
        assertThat(errqueue().extendedErr().data()).isZero();
        timestamping(TX_SOFTWARE); // no OPT_ID: every stamp's ee_data is 0, one below the next id
        zeroCopySend(100); // id 1; its segment's SND stamp is queued as it leaves
        ackUpTo(t.tcb().sndNxt());
        ErrorQueue.ExtendedErr stamp = errqueue().extendedErr();
        assertThat(stamp.origin()).isEqualTo(ErrorQueue.SO_EE_ORIGIN_TIMESTAMPING);
        assertThat(stamp.info()).isEqualTo(ErrorQueue.SCM_TSTAMP_SND);
        assertThat(stamp.data()).as("the stamp keeps its own ee_data").isZero();
        ErrorQueue.ExtendedErr range = errqueue().extendedErr();
        assertThat(range.origin()).isEqualTo(ErrorQueue.SO_EE_ORIGIN_ZEROCOPY);
        assertThat(range.info()).isEqualTo(1);
        assertThat(range.data()).isEqualTo(1);
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    @Test
    void theAckStamp_waitsUntilSndUnaIsPastTheKeyByte_andCarriesTheVirtualTimeWithSoftware() {
        t.established();
        timestamping(TX_ACK | SOFTWARE | OPT_ID);
        int una = t.tcb().sndUna();
        t.write(100);
        t.advanceSeconds(0.25);
        ackUpTo(una + 99); // the key byte (the write's last, una + 99) not yet acknowledged
        assertErrno(errqueue(), Errno.EAGAIN);
        t.advanceSeconds(0.25);
        ackUpTo(una + 100);
        ErrorQueue.ExtendedErr ack = errqueue().extendedErr();
        assertThat(ack.info()).isEqualTo(ErrorQueue.SCM_TSTAMP_ACK);
        assertThat(ack.data()).as("OPT_ID: the key counts from SND.UNA when the option was set").isEqualTo(99);
        assertThat(ack.timestampNs()).isEqualTo(t.kernel.inspect(k -> k.clock().now()) * 1_000_000L);
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    @Test
    void optIdTcp_countsKeysFromTheNextByteToWrite_notFromSndUna() {
        t.established();
        int una = t.tcb().sndUna();
        t.write(300); // in flight, unacknowledged: SND.UNA stays, the write sequence is 300 past it
        timestamping(TX_ACK | OPT_ID | OPT_ID_TCP);
        t.peer.consumeSent();
        t.peer.ack();
        t.write(50); // its last byte is una + 349: key 49 from the write sequence (it would be 349 from SND.UNA)
        t.peer.consumeSent();
        t.peer.ack();
        ErrorQueue.ExtendedErr ack = errqueue().extendedErr();
        assertThat(ack.info()).isEqualTo(ErrorQueue.SCM_TSTAMP_ACK);
        assertThat(ack.data()).isEqualTo(49);
        assertThat(ack.timestampNs()).as("no SOF_TIMESTAMPING_SOFTWARE").isZero();
        assertThat(t.tcb().sndUna()).isEqualTo(una + 350);
    }

    @Test
    void settingTheFlagsAgainWithOptIdOn_keepsTheKeysCounting() {
        t.established();
        int una = t.tcb().sndUna();
        timestamping(TX_ACK | OPT_ID);
        t.write(100);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(errqueue().extendedErr().data()).isEqualTo(99);
        timestamping(TX_ACK | OPT_ID | SOFTWARE); // OPT_ID already on: sk_tskey is not reset to SND.UNA
        t.write(10);
        t.peer.consumeSent();
        t.peer.ack();
        ErrorQueue.ExtendedErr second = errqueue().extendedErr();
        assertThat(second.data()).isEqualTo(109);
        assertThat(t.tcb().sndUna()).isEqualTo(una + 110);
    }

    @Test
    void aWriteWhoseKeyByteLeavesAtOnce_wakesAnEpollWatchWithEpollerr() {
        t.established();
        int ep = (int) done(t.kernel.epollCreate(t.pid, 1)).ret();
        done(t.kernel.epollCtl(t.pid, ep, EventPoll.CTL_ADD, t.fd, EventPoll.EPOLLIN | EventPoll.EPOLLET, 7));
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).ret()).as("nothing yet").isZero();
        timestamping(TX_SCHED | TX_SOFTWARE | SOFTWARE | OPT_ID);
        PacketReport report = new PacketReport(null);
        SyscallResult write = done(t.kernel.write(t.pid, t.fd, new byte[20], report));
        assertThat(write.ret()).isEqualTo(20);
        SyscallResult ready = done(t.kernel.epollWait(t.pid, ep, 4, 0));
        assertThat(ready.ret()).isEqualTo(1);
        assertThat(ready.strace()).isEqualTo("epoll_wait(" + ep + ", [{events=EPOLLERR, data={u32=7, u64=7}}], 4, 0) = 1");
        ErrorQueue.ExtendedErr sched = errqueue().extendedErr();
        assertThat(sched.info()).isEqualTo(ErrorQueue.SCM_TSTAMP_SCHED);
        assertThat(sched.data()).isEqualTo(19);
        ErrorQueue.ExtendedErr snd = errqueue().extendedErr();
        assertThat(snd.info()).isEqualTo(ErrorQueue.SCM_TSTAMP_SND);
        assertThat(snd.data()).isEqualTo(19);
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    @Test
    void aKeyByteHeldByNagle_isStampedWhenItLeaves_notWhenTheWriteReturns() {
        t.establishedMss1000GsoOff();
        timestamping(TX_SCHED | TX_SOFTWARE | SOFTWARE | OPT_ID);
        int una = t.tcb().sndUna();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        assertThat(t.write(1001).ret()).isEqualTo(1001);
        assertThat(t.tcb().sndNxt()).as("corked: the full segment leaves, the last byte waits").isEqualTo(una + 1000);
        assertErrno(errqueue(), Errno.EAGAIN);
        t.advanceSeconds(0.1);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 0, true));
        assertThat(t.tcb().sndNxt()).isEqualTo(una + 1001);
        long now = t.kernel.inspect(k -> k.clock().now()) * 1_000_000L;
        ErrorQueue.ExtendedErr sched = errqueue().extendedErr();
        assertThat(sched.info()).isEqualTo(ErrorQueue.SCM_TSTAMP_SCHED);
        assertThat(sched.data()).isEqualTo(1000);
        assertThat(sched.timestampNs()).isEqualTo(now);
        assertThat(errqueue().extendedErr().info()).isEqualTo(ErrorQueue.SCM_TSTAMP_SND);
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    private int epollEt() {
        int ep = (int) done(t.kernel.epollCreate(t.pid, 1)).ret();
        done(t.kernel.epollCtl(t.pid, ep, EventPoll.CTL_ADD, t.fd, EventPoll.EPOLLIN | EventPoll.EPOLLET, 7));
        return ep;
    }

    /** epoll_wait(ep, 4, 0): with EPOLLET, 1 only after a new wake-up with a key the watch wants. */
    private long epollWait(int ep) {
        return done(t.kernel.epollWait(t.pid, ep, 4, 0)).ret();
    }

    @Test
    void optIdWithoutOptIdTcp_countsKeysFromSndUna_evenWithBytesInFlight() {
        t.established();
        t.write(300);
        timestamping(TX_ACK | OPT_ID); // SND.UNA is 300 bytes behind the next byte to write
        t.peer.consumeSent();
        t.peer.ack();
        t.write(50);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(errqueue().extendedErr().data()).isEqualTo(349);
    }

    @Test
    void optId_isRefusedOnAnUnconnectedSocket_evenOnceItHasAnErrorQueue() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        assertThat(done(t.kernel.setsockopt(t.pid, fd, "SO_TIMESTAMPING", TX_SOFTWARE, true)).ret()).isZero();
        assertThat(done(t.kernel.setsockopt(t.pid, fd, "SO_TIMESTAMPING", TX_SOFTWARE | OPT_ID, true)).errno()).isEqualTo(Errno.EINVAL);
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "SO_TIMESTAMPING")).value()).isEqualTo(TX_SOFTWARE);
    }

    @Test
    void aSchedOnlyStamp_andASndOnlyStamp_eachWakeTheEpollWatch() {
        t.established();
        int ep = epollEt();
        timestamping(TX_SCHED);
        t.write(10);
        assertThat(epollWait(ep)).as("SCHED alone").isEqualTo(1);
        assertThat(errqueue().extendedErr().info()).isEqualTo(ErrorQueue.SCM_TSTAMP_SCHED);
        assertErrno(errqueue(), Errno.EAGAIN);
        t.peer.consumeSent();
        t.peer.ack(); // the first write's bytes acknowledged: the next small one is not held by Nagle
        assertThat(epollWait(ep)).isZero();
        timestamping(TX_SOFTWARE);
        t.write(10);
        assertThat(epollWait(ep)).as("SND alone").isEqualTo(1);
        assertThat(errqueue().extendedErr().info()).isEqualTo(ErrorQueue.SCM_TSTAMP_SND);
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    @Test
    void anAckStamp_wakesTheEpollWatch_anAckThatStampsNothingDoesNot() {
        t.established();
        int ep = epollEt();
        timestamping(TX_ACK);
        t.write(10);
        t.peer.consumeSent();
        assertThat(epollWait(ep)).isZero();
        t.peer.ack();
        assertThat(epollWait(ep)).as("SCM_TSTAMP_ACK queued: EPOLLERR").isEqualTo(1);
        assertThat(epollWait(ep)).as("edge-triggered: reported once").isZero();
        int una = t.tcb().sndUna();
        t.write(100);
        ackUpTo(una + 50); // the key byte (una + 99) not yet acknowledged: no stamp, no sk_error_report()
        assertThat(epollWait(ep)).isZero();
        assertThat(errqueue().extendedErr().info()).as("the first write's stamp, still unread").isEqualTo(ErrorQueue.SCM_TSTAMP_ACK);
        assertErrno(errqueue(), Errno.EAGAIN);
    }

    @Test
    void aFullErrorQueue_dropsTheNextStamp_andWakesNobody() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        timestamping(TX_SOFTWARE);
        for (int i = 0; i < ErrorQueue.MAX_QUEUED; i++) {
            t.write(1);
            t.peer.consumeSent();
            t.peer.ack();
        }
        int ep = epollEt();
        assertThat(epollWait(ep)).as("already readable when added").isEqualTo(1);
        assertThat(epollWait(ep)).isZero();
        t.write(1); // its SND stamp finds the queue full (sock_queue_err_skb(): -ENOMEM)
        assertThat(epollWait(ep)).isZero();
        int read = 0;
        while (errqueue().ret() == 0) {
            read++;
        }
        assertThat(read).isEqualTo(ErrorQueue.MAX_QUEUED);
    }

    @Test
    void aRetransmissionEndingJustBeforeTheKeyByte_isNotStamped_andWakesNobody() {
        t.establishedMss1000GsoOff();
        timestamping(TX_SCHED | TX_SOFTWARE | SOFTWARE | OPT_ID);
        int una = t.tcb().sndUna();
        t.write(10); // stamped at once; left unread so that a wake-up would show
        int ep = epollEt();
        assertThat(epollWait(ep)).isEqualTo(1);
        ackUpTo(una + 10);
        assertThat(epollWait(ep)).isZero();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        t.write(1001); // [una + 10, una + 1010) leaves, the key byte una + 1010 waits
        assertThat(t.tcb().sndNxt()).isEqualTo(una + 1010);
        t.advanceSeconds(3); // the RTO retransmits [una + 10, una + 1010)
        assertThat(t.peer.received().stream().filter(s -> s.seq() == una + 10).count()).as("sent and retransmitted").isGreaterThan(1);
        assertThat(epollWait(ep)).isZero();
        assertThat(errqueue().extendedErr().data()).isEqualTo(9);
        assertThat(errqueue().extendedErr().data()).isEqualTo(9);
        assertErrno(errqueue(), Errno.EAGAIN);
        ackUpTo(una + 1010); // out of loss recovery; the corked byte still waits
        assertThat(epollWait(ep)).isZero();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 0, true));
        assertThat(t.tcb().sndNxt()).isEqualTo(una + 1011);
        assertThat(epollWait(ep)).isEqualTo(1);
        assertThat(errqueue().extendedErr().data()).isEqualTo(1010);
    }

    @Test
    void twoCorkedZeroCopySends_shareOneRange_thatWaitsForTheSecondsLastByte() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        int una = t.tcb().sndUna();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        zeroCopySend(300);
        zeroCopySend(300);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 0, true));
        assertThat(t.tcb().sndNxt()).isEqualTo(una + 600);
        ackUpTo(una + 300);
        assertErrno(errqueue(), Errno.EAGAIN);
        ackUpTo(una + 600);
        ErrorQueue.ExtendedErr range = errqueue().extendedErr();
        assertThat(range.info()).isZero();
        assertThat(range.data()).isEqualTo(1);
    }
}
