package io.vkernel.api;

import io.swagger.v3.core.converter.AnnotatedType;
import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.Paths;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.tags.Tag;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.stereotype.Component;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Completes what springdoc derives from the controllers with what it cannot see, kept in one place
 * ({@code openapi-docs.yaml} beside application.yaml) instead of spread over the controllers: the walk-through order
 * of tags and paths, every status an operation really answers (201 with Location, 202 with the pending call's link,
 * 204, and each 4xx as the one shared {@code Problem} schema), typed schemas for the views a controller returns as
 * {@code ResponseEntity<?>}, a description on every field, enums and required lists, and an example for every request
 * body and parameter, chosen so that running the operations in order from a fresh service succeeds.
 */
@Component
class OpenApiDocs implements OpenApiCustomizer {

    static final String PROBLEM = "Problem";
    static final String BEARER = "bearer";
    /** Problems nearly every operation can answer (workshop mode), kept once under components.responses. */
    private static final Map<String, String> SHARED_RESPONSES = Map.of("401", "Unauthorized", "403", "Forbidden",
            "429", "TooManyRequests", "507", "MemoryBudgetSpent");
    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain";
    private static final String PROBLEM_JSON = "application/problem+json";
    private static final String REF = "#/components/schemas/";

    /** Views that controllers answer as {@code ResponseEntity<?>} (JSON or text), so springdoc does not see their type. */
    private static final List<Class<?>> UNTYPED_VIEWS = List.of(Views.PacketView.class, Views.ConnectionView.class,
            Views.ListenerView.class, Views.FdView.class, Views.EventView.class, MemoryViews.MemoryView.class, DemoView.class,
            Views.SyscallView.class);

    /** The records controllers answer with (the walk to {@link #alwaysPresent()} starts here). */
    private static final List<Class<?>> RESPONSE_ROOTS = List.of(Views.KernelView.class, Views.ProcessView.class,
            Views.InjectResponse.class, Views.DemuxView.class, Views.BucketView.class, Views.ClockView.class,
            FdChainView.Chain.class, ScenarioController.ScenarioRunView.class, ScenarioController.ScenarioView.class,
            io.vkernel.script.ScriptReport.class, InspectController.CheckView.class, InspectController.AdvanceView.class,
            InspectController.SysctlView.class, ProcessController.ExitView.class, NetworkController.NetworkView.class,
            NetworkController.NetworkClockView.class, NetworkController.NetworkAdvanceView.class,
            WorkshopController.Summary.class);

    private final Map<String, Object> docs;

    OpenApiDocs() {
        try (InputStream in = OpenApiDocs.class.getResourceAsStream("/openapi-docs.yaml")) {
            if (in == null) {
                throw new IllegalStateException("openapi-docs.yaml is missing from the classpath");
            }
            this.docs = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void customise(OpenAPI api) {
        api.getInfo().getLicense().setUrl("https://opensource.org/license/mit");
        api.getInfo().setContact(new io.swagger.v3.oas.models.info.Contact().name("the vkernel project (its issue tracker)"));
        // Open mode (the default) needs no credentials ({}); workshop mode wants an attendee's or the instructor's
        // bearer token, and answers the 401, 403 and 429 every operation lists.
        api.getComponents().addSecuritySchemes(BEARER, new io.swagger.v3.oas.models.security.SecurityScheme()
                .type(io.swagger.v3.oas.models.security.SecurityScheme.Type.HTTP).scheme("bearer")
                .description(str(docs.get("bearer"))));
        Map<String, Object> problems = map(docs.get("problems"));
        Map<String, Object> examples = map(docs.get("problemExamples"));
        new TreeMap<>(SHARED_RESPONSES).forEach((code, name) -> {
            ApiResponse response = problemResponse(str(problems.get(code)));
            if (examples.get(code) != null) {
                response.getContent().get(PROBLEM_JSON).setExample(examples.get(code));
            }
            api.getComponents().addResponses(name, response);
        });
        api.setSecurity(new ArrayList<>(List.of(new io.swagger.v3.oas.models.security.SecurityRequirement(),
                new io.swagger.v3.oas.models.security.SecurityRequirement().addList(BEARER))));
        api.setTags(new ArrayList<>());
        for (Map<String, Object> tag : list(docs.get("tags"))) {
            api.getTags().add(new Tag().name(str(tag.get("name"))).description(str(tag.get("description"))));
        }
        customiseSchemas(api);
        customiseOperations(api);
    }

    // ---------------------------------------------------------------- schemas

    private void customiseSchemas(OpenAPI api) {
        Map<String, Schema> schemas = api.getComponents().getSchemas();
        schemas.remove("SseEmitter");
        boolean openapi31 = api.getOpenapi() != null && api.getOpenapi().startsWith("3.1");
        for (Class<?> view : UNTYPED_VIEWS) {
            ModelConverters.getInstance(openapi31).readAll(new AnnotatedType(view)).forEach(schemas::putIfAbsent);
        }
        schemas.put(PROBLEM, problemSchema());
        Map<String, Object> docSchemas = map(docs.get("schemas"));
        Map<String, List<String>> alwaysPresent = alwaysPresent();
        for (Map.Entry<String, Schema> entry : schemas.entrySet()) {
            if (alwaysPresent.containsKey(entry.getKey()) && !alwaysPresent.get(entry.getKey()).isEmpty()) {
                entry.getValue().setRequired(alwaysPresent.get(entry.getKey()));
            }
            Map<String, Object> doc = map(docSchemas.get(entry.getKey()));
            Schema<?> schema = entry.getValue();
            if (doc.get("description") != null) {
                schema.setDescription(str(doc.get("description")));
            }
            if (doc.get("required") != null) {
                schema.setRequired(strings(doc.get("required")));
            }
            if (doc.get("example") != null) {
                schema.setExample(doc.get("example"));
            }
            Map<String, Object> props = map(doc.get("properties"));
            if (schema.getProperties() != null) {
                schema.getProperties().forEach((name, property) -> applyField(property, props.get(name)));
            }
        }
        api.getComponents().setSchemas(new TreeMap<>(schemas));
    }

    /**
     * The fields every answer carries: Jackson leaves out only null values, so a record component of a primitive
     * type is always there. Found by walking the response records from the controllers' return types down.
     */
    private static Map<String, List<String>> alwaysPresent() {
        Map<String, List<String>> required = new TreeMap<>();
        List<Class<?>> pending = new ArrayList<>(RESPONSE_ROOTS);
        pending.addAll(UNTYPED_VIEWS);
        while (!pending.isEmpty()) {
            Class<?> type = pending.remove(pending.size() - 1);
            if (!type.isRecord() || required.containsKey(type.getSimpleName())) {
                continue;
            }
            List<String> fields = new ArrayList<>();
            for (RecordComponent component : type.getRecordComponents()) {
                if (component.getType().isPrimitive()) {
                    fields.add(component.getName());
                }
                collect(component.getGenericType(), pending);
            }
            required.put(type.getSimpleName(), fields);
        }
        return required;
    }

    private static void collect(Type type, List<Class<?>> into) {
        if (type instanceof Class<?> c) {
            into.add(c);
        } else if (type instanceof ParameterizedType p) {
            for (Type argument : p.getActualTypeArguments()) {
                collect(argument, into);
            }
        }
    }

    /** RFC 9457's members plus vkernel's extensions ({@code field}, {@code line}, a 507's budget and bytes). */
    private Schema<?> problemSchema() {
        Schema<Object> problem = new Schema<>();
        problem.type("object");
        problem.setDescription(str(map(docs.get("problem")).get("description")));
        Map<String, Object> members = map(map(docs.get("problem")).get("properties"));
        for (Map.Entry<String, Object> member : members.entrySet()) {
            Map<String, Object> doc = map(member.getValue());
            Schema<Object> property = new Schema<>();
            property.type(str(doc.get("type")));
            if (doc.get("format") != null) {
                property.setFormat(str(doc.get("format")));
            }
            property.setDescription(str(doc.get("description")));
            property.setExample(doc.get("example"));
            problem.addProperty(member.getKey(), property);
        }
        problem.setRequired(strings(map(docs.get("problem")).get("required")));
        return problem;
    }

    /**
     * A field's documentation: a plain string is its description; a map may also give enum, example, format,
     * minimum, maximum, default and pattern, and {@code items} for an array's elements.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void applyField(Schema schema, Object doc) {
        if (doc == null) {
            return;
        }
        if (doc instanceof String description) {
            schema.setDescription(description);
            return;
        }
        Map<String, Object> d = map(doc);
        Schema target = schema;
        if (d.get("description") != null) {
            schema.setDescription(str(d.get("description")));
        }
        if (d.get("items") != null && schema.getItems() != null) {
            applyField(schema.getItems(), d.get("items"));
        }
        if (d.get("enum") != null) {
            target.setEnum(new ArrayList<>(list(d.get("enum"))));
        }
        if (d.get("example") != null) {
            target.setExample(d.get("example"));
        }
        if (d.get("format") != null) {
            target.setFormat(str(d.get("format")));
        }
        if (d.get("pattern") != null) {
            target.setPattern(str(d.get("pattern")));
        }
        if (d.get("minimum") != null) {
            target.setMinimum(new java.math.BigDecimal(String.valueOf(d.get("minimum"))));
        }
        if (d.get("maximum") != null) {
            target.setMaximum(new java.math.BigDecimal(String.valueOf(d.get("maximum"))));
        }
        if (d.get("default") != null) {
            target.setDefault(d.get("default"));
        }
    }

    // ---------------------------------------------------------------- operations

    private void customiseOperations(OpenAPI api) {
        Map<String, String> pathOf = new LinkedHashMap<>();
        Map<String, Operation> byId = new LinkedHashMap<>();
        api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
            byId.put(op.getOperationId(), op);
            pathOf.put(op.getOperationId(), path);
        }));
        Map<String, Object> common = map(docs.get("parameters"));
        Map<String, Object> problems = map(docs.get("problems"));
        List<String> order = new ArrayList<>();
        for (Map<String, Object> doc : list(docs.get("operations"))) {
            String id = str(doc.get("id"));
            Operation op = byId.get(id);
            if (op == null) {
                throw new IllegalStateException("openapi-docs.yaml documents operation '" + id + "' that no controller has");
            }
            order.add(pathOf.get(id));
            op.setTags(List.of(str(doc.get("tag"))));
            if (doc.get("summary") != null) {
                op.setSummary(str(doc.get("summary")));
            }
            if (doc.get("description") != null) {
                op.setDescription(str(doc.get("description")));
            }
            documentParameters(op, map(doc.get("parameters")), common);
            documentBody(op, doc, api.getComponents().getSchemas());
            documentResponses(op, withWorkshopProblems(doc, pathOf.get(id)), problems);
        }
        Paths ordered = new Paths();
        for (String path : order) {
            if (!ordered.containsKey(path)) {
                ordered.addPathItem(path, api.getPaths().get(path));
            }
        }
        api.getPaths().forEach((path, item) -> {
            if (!ordered.containsKey(path)) {
                ordered.addPathItem(path, item);
            }
        });
        api.setPaths(ordered);
    }

    /**
     * Workshop mode can refuse any operation: 401 without a valid token, 429 past a token's request rate, and 403 on
     * routes only the instructor (or the kernel's owner) may use. Listed on every operation it applies to, since the
     * contract is one for both modes.
     */
    private static Map<String, Object> withWorkshopProblems(Map<String, Object> doc, String path) {
        List<String> codes = new ArrayList<>(strings(doc.get("problems")));
        List<String> workshop = new ArrayList<>(List.of("401", "429"));
        if (path.contains("{k}") || path.startsWith("/api/v1/workshop") || path.startsWith("/api/v1/networks")) {
            workshop.add("403");
        }
        for (String code : workshop) {
            if (!codes.contains(code)) {
                codes.add(code);
            }
        }
        Map<String, Object> copy = new LinkedHashMap<>(doc);
        copy.put("problems", codes);
        return copy;
    }

    private static void documentParameters(Operation op, Map<String, Object> own, Map<String, Object> common) {
        if (op.getParameters() == null) {
            return;
        }
        for (Parameter parameter : op.getParameters()) {
            Map<String, Object> d = new LinkedHashMap<>(map(common.get(parameter.getName())));
            d.putAll(map(own.get(parameter.getName())));
            if (d.get("description") != null) {
                parameter.setDescription(str(d.get("description")));
            }
            if (d.get("example") != null) {
                parameter.setExample(d.get("example"));
            }
            Map<String, Object> schemaDoc = new LinkedHashMap<>(d);
            schemaDoc.remove("description");
            schemaDoc.remove("example");
            if (parameter.getSchema() != null && !schemaDoc.isEmpty()) {
                // springdoc shares one schema object between parameters of the same Java type: give this one its own
                Schema<?> copy = io.swagger.v3.core.util.Json.mapper().convertValue(parameter.getSchema(), Schema.class);
                parameter.setSchema(copy);
                applyField(copy, schemaDoc);
            }
        }
    }

    private static void documentBody(Operation op, Map<String, Object> doc, Map<String, Schema> schemas) {
        RequestBody body = op.getRequestBody();
        if (body == null) {
            return;
        }
        Map<String, Object> d = map(doc.get("body"));
        if (d.get("description") != null) {
            body.setDescription(str(d.get("description")));
        } else {
            // Otherwise the body is described by its schema: "bind(fd, addr).", "How far to move the virtual clock."
            body.getContent().values().stream().map(MediaType::getSchema)
                    .filter(schema -> schema != null && schema.get$ref() != null)
                    .map(schema -> schemas.get(schema.get$ref().substring(REF.length())))
                    .filter(schema -> schema != null && schema.getDescription() != null)
                    .findFirst().ifPresent(schema -> body.setDescription(schema.getDescription()));
        }
        if (d.get("required") != null) {
            body.setRequired((Boolean) d.get("required"));
        }
        if (d.get("schema") != null) {
            Schema<?> schema = schemaRef(str(d.get("schema")));
            body.getContent().values().forEach(media -> media.setSchema(schema));
        }
        if (d.get("example") != null) {
            body.getContent().values().forEach(media -> media.setExample(d.get("example")));
        }
    }

    private static void documentResponses(Operation op, Map<String, Object> doc, Map<String, Object> problems) {
        ApiResponses generated = op.getResponses();
        ApiResponses responses = new ApiResponses();
        Map<String, Object> declared = map(doc.get("responses"));
        for (Map.Entry<String, Object> entry : new TreeMap<>(declared).entrySet()) {
            String code = entry.getKey();
            Map<String, Object> d = map(entry.getValue());
            ApiResponse response = new ApiResponse().description(str(d.get("description")));
            if (code.startsWith("4")) {
                responses.addApiResponse(code, problemResponse(d.get("description") != null ? str(d.get("description"))
                        : str(problems.get(code))));
                continue;
            }
            ApiResponse springdoc = generated.get("200");
            Content content = new Content();
            if (d.get("schema") != null) {
                content.addMediaType(str(d.getOrDefault("mediaType", JSON)), new MediaType().schema(schemaRef(str(d.get("schema")))));
            } else if (!code.equals("204") && springdoc != null && springdoc.getContent() != null
                    && !Boolean.TRUE.equals(d.get("noBody"))) {
                springdoc.getContent().forEach((type, media) -> {
                    if (!type.equals(TEXT)) {
                        content.addMediaType(type, media);
                    }
                });
            }
            if (d.get("text") != null) {
                content.addMediaType(TEXT, new MediaType().schema(new Schema<String>().type("string")
                        .description(str(d.get("text")))));
            }
            if (!content.isEmpty()) {
                response.setContent(content);
            }
            for (Map.Entry<String, Object> header : map(d.get("headers")).entrySet()) {
                response.addHeaderObject(header.getKey(), new Header().description(str(header.getValue())).required(true)
                        .schema(new Schema<String>().type("string").format(header.getKey().equals("Location") ? "uri-reference" : null)));
            }
            responses.addApiResponse(code, response);
        }
        for (String code : strings(doc.get("problems"))) {
            responses.addApiResponse(code, SHARED_RESPONSES.containsKey(code)
                    ? new ApiResponse().$ref("#/components/responses/" + SHARED_RESPONSES.get(code))
                    : problemResponse(str(problems.get(code))));
        }
        ApiResponses sorted = new ApiResponses();
        new TreeMap<>(responses).forEach(sorted::addApiResponse);
        op.setResponses(sorted);
    }

    private static ApiResponse problemResponse(String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType(PROBLEM_JSON,
                new MediaType().schema(new Schema<>().$ref(REF + PROBLEM))));
    }

    /**
     * {@code Name} refers to a component schema, {@code Name[]} to an array of them, {@code A|B} to one of them,
     * {@code string} to text.
     */
    private static Schema<?> schemaRef(String name) {
        if (name.contains("|")) {
            io.swagger.v3.oas.models.media.ComposedSchema either = new io.swagger.v3.oas.models.media.ComposedSchema();
            for (String alternative : name.split("\\|")) {
                either.addOneOfItem(schemaRef(alternative));
            }
            return either;
        }
        if (name.endsWith("[]")) {
            return new ArraySchema().items(schemaRef(name.substring(0, name.length() - 2)));
        }
        if (name.equals("string") || name.equals("binary")) {
            Schema<String> s = new Schema<String>().type("string");
            return name.equals("binary") ? s.format("binary") : s;
        }
        return new Schema<>().$ref(REF + name);
    }

    // ---------------------------------------------------------------- YAML helpers

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        if (o == null) {
            return Map.of();
        }
        if (o instanceof String s) {
            return Map.of("description", s);
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return o == null ? List.of() : (List<Map<String, Object>>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object o) {
        if (o == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Object item : (List<Object>) o) {
            out.add(String.valueOf(item));
        }
        return out;
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o).strip();
    }
}
