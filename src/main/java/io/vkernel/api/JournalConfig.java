package io.vkernel.api;

import com.zaxxer.hikari.HikariDataSource;
import io.vkernel.journal.KernelJournal;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.RealtimeClocks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
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
 * lives in an embedded H2 database in {@code vkernel.data-dir} (default {@code ./data}); with it, in that database
 * (PostgreSQL for deployments of more than one instance). Flyway owns the schema.
 */
@Configuration(proxyBeanMethods = false)
class JournalConfig {

    private static final Logger log = LoggerFactory.getLogger(JournalConfig.class);

    /**
     * H2 in file mode. WRITE_DELAY=0 writes each commit to the file before the commit returns, so a killed process
     * loses nothing that was committed (the operating system still holds it; H2 does not fsync each commit).
     */
    @Bean
    @ConditionalOnExpression("'${spring.datasource.url:}'.isEmpty()")
    DataSource journalDataSource(@Value("${vkernel.data-dir:./data}") String dataDir) {
        Path dir = Path.of(dataDir).toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("vkernel.data-dir " + dir + " cannot be created", e);
        }
        HikariDataSource dataSource = DataSourceBuilder.create().type(HikariDataSource.class)
                .url("jdbc:h2:file:" + dir.resolve("vkernel") + ";WRITE_DELAY=0")
                .username("sa").password("").build();
        dataSource.setMaximumPoolSize(4);
        dataSource.setPoolName("vkernel-journal");
        return dataSource;
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
