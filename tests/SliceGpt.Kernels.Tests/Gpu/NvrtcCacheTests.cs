using SliceGpt.Kernels.Tests.Support;
using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests.Gpu;

/// <summary>NVRTC compiles each source once per cache and reports errors with the full log.</summary>
public sealed class NvrtcCacheTests : GpuTestBase
{
    [Test]
    public void SecondCompileHitsMemoryThenDisk()
    {
        var folder = Path.Combine(Path.GetTempPath(), "slicegpt-nvrtc-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var source = KernelSources.Get("elementwise.cu");
            var images = new KernelImageCache(folder);
            using (var first = new KernelModuleCache(Context, images))
            {
                first.GetFunction(source, "bias_add_f32");
                first.GetFunction(source, "residual_add_f16");   // same module: no second compilation
            }
            Assert.That((images.Compilations, images.MemoryHits, images.DiskHits), Is.EqualTo((1, 0, 0)));

            using (var second = new KernelModuleCache(Context, images))
                second.GetFunction(source, "bias_add_f32");
            Assert.That(images.MemoryHits, Is.EqualTo(1), "a second module cache reuses the compiled image");

            var fresh = new KernelImageCache(folder);
            using (var third = new KernelModuleCache(Context, fresh))
                third.GetFunction(source, "bias_add_f32");
            Assert.That((fresh.Compilations, fresh.DiskHits), Is.EqualTo((0, 1)), "a new process would load it from disk");
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void CompileErrorCarriesTheLogKernelNameAndOptions()
    {
        var broken = new KernelSource("broken.cu",
            "#include \"common.cuh\"\nextern \"C\" __global__ void broken(const int a) { undeclared_thing(a); }\n",
            KernelSources.Get("norm.cu").Headers);
        var compiler = NvrtcCompiler.Shared;
        var e = Assert.Throws<NvrtcCompilationException>(() =>
            compiler.Compile(broken, compiler.TargetFor(Context.Device.Architecture), ["-lineinfo"]))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.KernelName, Is.EqualTo("broken.cu"));
            Assert.That(e.Log, Does.Contain("undeclared_thing"));
            Assert.That(e.Options, Does.Contain("-lineinfo").And.Some.StartsWith("--gpu-architecture="));
            Assert.That(e.Message, Does.Contain("broken.cu").And.Contain("undeclared_thing"));
        });
    }

    [Test]
    public void EveryKernelSourceCompilesAndLoads()
    {
        Kernels.Precompile();
        TestContext.Progress.WriteLine($"kernels target {Kernels.Modules.Target} with NVRTC {NvrtcCompiler.Shared.Version}");
        Assert.That(Kernels.Modules.Target, Does.EndWith(Context.Device.Architecture.ToString()).Or.StartWith("compute_"));
    }
}
