using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SliceGpt.Server.Protocol;

/// <summary>Server-sent events as OpenAI streams them: <c>data: {json}</c> events, <c>data: [DONE]</c> last.</summary>
internal sealed class EventStream(HttpResponse response)
{
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // proxies must not hold events back
        await response.StartAsync(cancellationToken);
    }

    public async Task WriteAsync(object body, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json.Options);
        var buffer = new byte[json.Length + 8];
        "data: "u8.CopyTo(buffer);
        json.CopyTo(buffer, 6);
        buffer[^2] = (byte)'\n';
        buffer[^1] = (byte)'\n';
        await response.Body.WriteAsync(buffer, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    public async Task DoneAsync(CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Done, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
