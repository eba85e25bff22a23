package io.vkernel.api;

import com.zaxxer.hikari.HikariDataSource;
import io.vkernel.journal.H2CarryOver;
import io.vkernel.journal.KernelJournal;
import io.vkernel.journal.SqliteFile;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.RealtimeClocks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Durable kernels: the journal's database and the journal itself. Without {@code spring.datasource.url} the journal
 * lives in an embedded SQLite database in {@code vkernel.data-dir} (default {@code ./data}); with it, in that database
 * (PostgreSQL for deployments of more than one instance). Flyway owns the schema.
 */
@Configuration(proxyBeanMethods = false)
class JournalConfig {

    private static final Logger log = LoggerFactory.getLogger(JournalConfig.class);

    /** Taken before the database is opened, held until the context closes: one service per data directory. */
    @Bean(destroyMethod = "close")
    @ConditionalOnExpression("'${spring.datasource.url:}'.isEmpty()")
    DataDirLock journalDataDirLock(@Value("${vkernel.data-dir:./data}") String dataDir) {
        return DataDirLock.take(Path.of(dataDir).toAbsolutePath().normalize());
    }

    /**
     * SQLite in {@code vkernel.data-dir}, in WAL mode with {@code synchronous=NORMAL}: a commit appends its pages to the
     * write-ahead log with {@code write()} before it returns, so a killed process loses nothing that was committed;
     * the log is fsynced at checkpoints, not at each commit, so a power loss may lose the last commits (as H2, the
     * default before it, did). A data directory H2 wrote is carried over on the first start ({@link H2CarryOver}).
     */
    @Bean
    @DependsOn("journalDataDirLock")
    @ConditionalOnExpression("'${spring.datasource.url:}'.isEmpty()")
    DataSource journalDataSource(@Value("${vkernel.data-dir:./data}") String dataDir) {
        Path dir = Path.of(dataDir).toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("vkernel.data-dir " + dir + " cannot be created", e);
        }
        Path file = dir.resolve(SqliteFile.NAME);
        long carried = H2CarryOver.carry(dir, file);
        if (carried >= 0) {
            log.info("carried the H2 journal database in {} into SQLite ({} rows); the H2 file is kept as vkernel.mv.db.carried",
                    dir, carried);
        }
        HikariDataSource dataSource = DataSourceBuilder.create().type(HikariDataSource.class).url(SqliteFile.url(file)).build();
        dataSource.setMaximumPoolSize(4);
        dataSource.setPoolName("vkernel-journal");
        return dataSource;
    }

    /** The embedded SQLite database has its own schema scripts (db/sqlite); H2 and PostgreSQL share db/migration. */
    @Bean
    @ConditionalOnExpression("'${spring.datasource.url:}'.isEmpty()")
    FlywayConfigurationCustomizer sqliteSchema() {
        return flyway -> flyway.locations("classpath:db/sqlite");
    }

    @Bean(destroyMethod = "close")
    KernelJournal kernelJournal(JdbcTemplate jdbc, PlatformTransactionManager transactions, KernelRegistry registry,
                                io.vkernel.sandbox.NetworkRegistry networks, RealtimeClocks clocks, @Value("${vkernel.journal.enabled:true}") boolean enabled,
                                @Value("${vkernel.journal.snapshot-every:" + KernelJournal.SNAPSHOT_EVERY + "}") int snapshotEvery,
                                @Value("${vkernel.journal.snapshot-interval:1s}") java.time.Duration snapshotInterval) {
        KernelJournal journal = new KernelJournal(jdbc, new TransactionTemplate(transactions), snapshotEvery, snapshotInterval,
                System::nanoTime);
        if (!enabled) {
            log.warn("vkernel.journal.enabled=false: kernels live in memory only and are lost on restart");
            return journal;
        }
        long start = System.nanoTime();
        int restored = journal.restoreAndAttach(registry, kernel -> clocks.follow(kernel, kernel.realtimeClock()));
        int networksRestored = journal.restoreNetworks(registry, networks, clocks::setRealtime);
        if (restored > 0) {
            log.info("restored {} kernels and {} networks from their journals in {} ms", restored, networksRestored,
                    (System.nanoTime() - start) / 1_000_000);
        }
        return journal;
    }

    /**
     * With the journal off nothing is ever queued, so the filter would only wrap each request's answer to wait for
     * nothing: it is not installed (one filter less on every request, issue 16).
     */
    @Bean
    FilterRegistrationBean<JournalDurabilityFilter> journalDurabilityFilter(KernelJournal journal,
                                                                           @Value("${vkernel.journal.enabled:true}") boolean enabled) {
        FilterRegistrationBean<JournalDurabilityFilter> registration = new FilterRegistrationBean<>(new JournalDurabilityFilter(journal));
        registration.setEnabled(enabled);
        registration.setOrder(org.springframework.core.Ordered.HIGHEST_PRECEDENCE + 1);
        registration.setDispatcherTypes(jakarta.servlet.DispatcherType.REQUEST, jakarta.servlet.DispatcherType.ASYNC,
                jakarta.servlet.DispatcherType.ERROR);
        return registration;
    }
}
