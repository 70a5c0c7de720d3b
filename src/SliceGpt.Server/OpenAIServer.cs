using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SliceGpt.Server.Endpoints;
using SliceGpt.Server.Protocol;

namespace SliceGpt.Server;

/// <summary>
/// An OpenAI-compatible HTTP server over an <see cref="Runtime.Serving.InferenceEngine"/>, on ASP.NET Core (Kestrel):
/// <c>GET /v1/models</c>, <c>GET /v1/models/{id}</c>, <c>POST /v1/completions</c>, <c>POST /v1/chat/completions</c>
/// (JSON, or server-sent events with <c>"stream": true</c>; <c>stream_options.include_usage</c> adds a last chunk with
/// <c>choices: []</c> and <c>usage</c>) and <c>GET /health</c>. Errors are OpenAI's <c>{"error": {...}}</c> objects.
/// Besides OpenAI's fields the completion endpoints take vLLM's <c>top_k</c>, <c>min_p</c>, <c>repetition_penalty</c>,
/// <c>ignore_eos</c> and <c>stop_token_ids</c>; unknown fields are ignored.
/// </summary>
public static class OpenAIServer
{
    /// <summary>
    /// Builds the server for <paramref name="model"/> listening on <paramref name="host"/>:<paramref name="port"/> (port 0:
    /// any free port; read it from <see cref="Address"/> after starting). Logging goes to the console at warning level.
    /// </summary>
    /// <param name="model">What to serve.</param>
    /// <param name="host">The interface to listen on ("127.0.0.1", "0.0.0.0", "::1", "localhost").</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="configure">Changes to the builder before the app is built (logging, Kestrel limits, ...).</param>
    public static WebApplication Create(ServedModel model, string host = "127.0.0.1", int port = 8080, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "SliceGpt.Server", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        string authority = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
        builder.WebHost.UseUrls($"http://{authority}:{port}");
        // Running generations are cancelled when the server stops; the rest of the shutdown is short.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapOpenAI(model);
        return app;
    }

    /// <summary>Maps the endpoints onto an existing app (an inference server that hosts other endpoints too).</summary>
    public static IEndpointRouteBuilder MapOpenAI(this IEndpointRouteBuilder endpoints, ServedModel model)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(model);
        var stopping = endpoints.ServiceProvider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        endpoints.MapGet("/health", (HttpContext http) => http.Response.WriteAsJsonAsync(new { status = "ok" }));
        endpoints.MapGet("/v1/models", (HttpContext http) => WriteAsync(http, new ModelListBody("list", [Describe(model)])));
        endpoints.MapGet("/v1/models/{id}", (HttpContext http, string id) => id == model.Name
            ? WriteAsync(http, Describe(model))
            : CompletionEndpoints.WriteErrorAsync(http, new OpenAIException(StatusCodes.Status404NotFound, "invalid_request_error",
                $"The model `{id}` does not exist; this server serves `{model.Name}`", "model", "model_not_found")));
        endpoints.MapPost("/v1/completions", (HttpContext http) => CompletionEndpoints.CompletionsAsync(http, model, stopping));
        endpoints.MapPost("/v1/chat/completions", (HttpContext http) => CompletionEndpoints.ChatCompletionsAsync(http, model, stopping));
        endpoints.MapFallback((HttpContext http) => CompletionEndpoints.WriteErrorAsync(http, new OpenAIException(StatusCodes.Status404NotFound,
            "invalid_request_error", $"unknown endpoint: {http.Request.Method} {http.Request.Path}", null, "unknown_url")));
        return endpoints;
    }

    /// <summary>The address the started server listens on (the bound port when it was started on port 0).</summary>
    public static string Address(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("the server is not started");
    }

    private static ModelBody Describe(ServedModel model) =>
        new(model.Name, "model", model.Created.ToUnixTimeSeconds(), "slicegpt", model.Engine.MaxContext);

    private static Task WriteAsync(HttpContext http, object body) =>
        http.Response.WriteAsJsonAsync(body, body.GetType(), Json.Options, http.RequestAborted);
}
