package io.vkernel.kernel.proc;

import io.vkernel.kernel.fd.FdTable;
import io.vkernel.kernel.fd.OpenFile;

import java.util.ArrayList;
import java.util.List;

/** A process: a pid, a name, its file descriptor table (0, 1, 2 open on the terminal) and its threads. */
public final class Process {

    private final int pid;
    private final String name;
    private final FdTable fds;
    private final List<Task> threads = new ArrayList<>();

    public Process(int pid, String name, int fdLimit) {
        this.pid = pid;
        this.name = name;
        this.fds = new FdTable(fdLimit);
        for (String stdio : new String[] {"stdin", "stdout", "stderr"}) {
            fds.allocate(OpenFile.terminal("/dev/pts/0 (" + stdio + ")"));
        }
        threads.add(new Task(pid));
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
        return List.copyOf(threads);
    }

    /** A thread to run a call: the main thread when it is free, else a new one with the given tid. */
    public Task idleThread(int newTid) {
        for (Task task : threads) {
            if (task.state() == Task.State.RUNNING) {
                return task;
            }
        }
        Task task = new Task(newTid);
        threads.add(task);
        return task;
    }

    /** A call finished on {@code task}: it runs again; an extra thread that finished goes away. */
    public void finished(Task task) {
        task.run();
        if (task.tid() != pid) {
            threads.remove(task);
        }
    }
}
