package io.vkernel.kernel.proc;

import io.vkernel.kernel.fd.FdTable;
import io.vkernel.kernel.fd.OpenFile;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A process: a pid, a name, its file descriptor table (0, 1, 2 open on the terminal) and its threads. */
public final class Process {

    private final int pid;
    private final String name;
    private final FdTable fds;
    /** Threads by tid, the main thread (tid = pid) first; extra threads exist only while they sleep in a call. */
    private final Map<Integer, Task> threads = new LinkedHashMap<>();

    public Process(int pid, String name, int fdLimit) {
        this.pid = pid;
        this.name = name;
        this.fds = new FdTable(fdLimit);
        for (String stdio : new String[] {"stdin", "stdout", "stderr"}) {
            fds.allocate(OpenFile.terminal("/dev/pts/0 (" + stdio + ")"));
        }
        threads.put(pid, new Task(pid));
    }

    public int pid() {
        return pid;
    }

    public String name() {
        return name;
    }

    public FdTable fds() {
        return fds;
    }

    public List<Task> threads() {
        return List.copyOf(threads.values());
    }

    public int threadCount() {
        return threads.size();
    }

    /** Threads asleep in a blocking call. */
    public int sleepingCount() {
        return threads.size() - (threads.get(pid).state() == Task.State.RUNNING ? 1 : 0);
    }

    /** The thread with this tid, or null. */
    public Task thread(int tid) {
        return threads.get(tid);
    }

    /** A thread to run a call: the main thread when it is free, else a new one with the given tid. */
    public Task idleThread(int newTid) {
        Task main = threads.get(pid);
        if (main.state() == Task.State.RUNNING) {
            return main;
        }
        Task task = new Task(newTid);
        threads.put(newTid, task);
        return task;
    }

    /** A call finished on {@code task}: it runs again; an extra thread that finished goes away. */
    public void finished(Task task) {
        task.run();
        if (task.tid() != pid) {
            threads.remove(task.tid());
        }
    }
}
