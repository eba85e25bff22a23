# Multi-stage build: compile with the Maven wrapper on a JDK, run on a JRE as a non-root user.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -q dependency:go-offline
COPY src src
COPY openapi openapi
RUN ./mvnw -B -q package -DskipTests && cp target/vkernel-*.jar /src/vkernel.jar

FROM eclipse-temurin:17-jre
RUN groupadd --system vkernel && useradd --system --gid vkernel --home /app vkernel \
    && apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/vkernel.jar /app/vkernel.jar
# The journal's SQLite database lives in ./data (vkernel.data-dir): WORKDIR made /app root's, so the directory is made
# here and given to the user that runs the service. Mount a volume on it to keep kernels across container restarts.
RUN mkdir /app/data && chown vkernel:vkernel /app/data
VOLUME /app/data
USER vkernel
EXPOSE 8080
# Open mode by default. For a workshop (README, "Running a workshop"):
#   -e VKERNEL_WORKSHOP_ENABLED=true -e VKERNEL_WORKSHOP_INSTRUCTOR_TOKEN=<a secret of 16+ characters>
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://localhost:8080/actuator/health || exit 1
# If the heap runs out anyway, die (and let the container restart) instead of limping on with dead threads.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/vkernel.jar"]
