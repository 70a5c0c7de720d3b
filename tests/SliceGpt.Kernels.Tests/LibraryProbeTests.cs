using SliceGpt.Native.Cuda;

namespace SliceGpt.Kernels.Tests;

/// <summary>Loading failures name every file and folder tried. Runs anywhere: the plans only name missing files.</summary>
public sealed class LibraryProbeTests
{
    [Test]
    public void MissingDriverListsEveryNameAndPathTried()
    {
        var existing = TestContext.CurrentContext.WorkDirectory;
        var plan = CudaProbePlan.ForFiles(CudaLibrary.Driver, ["libcuda-missing.so.1", "libcuda-missing.so"],
            ["/nonexistent/slicegpt/lib64", existing, CudaProbePlan.LoaderPath]);

        var e = Assert.Throws<CudaUnavailableException>(() => CudaLibraries.Load(plan))!;

        Assert.Multiple(() =>
        {
            Assert.That(e.Library, Is.EqualTo(CudaLibrary.Driver));
            Assert.That(e.Tried, Has.Some.StartsWith("/nonexistent/slicegpt/lib64: folder does not exist"));
            Assert.That(e.Tried, Has.Some.EqualTo($"{Path.Combine(existing, "libcuda-missing.so.1")}: not found"));
            Assert.That(e.Tried, Has.Some.EqualTo($"{Path.Combine(existing, "libcuda-missing.so")}: not found"));
            Assert.That(e.Tried, Has.Some.StartsWith($"libcuda-missing.so.1 {CudaProbePlan.LoaderPath}:"));
            Assert.That(e.Tried, Has.Some.StartsWith($"libcuda-missing.so {CudaProbePlan.LoaderPath}:"));
            Assert.That(e.Message, Does.Contain("libcuda-missing.so.1").And.Contain("/nonexistent/slicegpt/lib64"));
        });
    }

    [Test]
    public void DefaultPlansPreferCuda13ThenCuda12ThenTheBareName()
    {
        var nvrtc = CudaProbePlan.Default(CudaLibrary.Nvrtc).Candidates.Select(c => c.FileName);
        var cublas = CudaProbePlan.Default(CudaLibrary.Cublas).Candidates;
        var cusolver = CudaProbePlan.Default(CudaLibrary.Cusolver).Candidates.Select(c => c.FileName);
        Assert.Multiple(() =>
        {
            Assert.That(nvrtc, Is.EqualTo(new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so" }));
            Assert.That(cublas.Select(c => c.FileName), Is.EqualTo(new[] { "libcublas.so.13", "libcublas.so.12", "libcublas.so" }));
            Assert.That(cublas[0].Prerequisites, Does.Contain("libcublasLt.so.13"));
            Assert.That(cusolver, Is.EqualTo(new[] { "libcusolver.so.12", "libcusolver.so.11", "libcusolver.so" }));
            Assert.That(CudaProbePlan.Default(CudaLibrary.Driver).Candidates[0].FileName, Is.EqualTo("libcuda.so.1"));
            Assert.That(CudaProbePlan.Default(CudaLibrary.CusparseLt).Candidates[0].FileName, Is.EqualTo("libcusparseLt.so.0"));
        });
    }

    [Test]
    public void DefaultToolkitPlanSearchesCudaHomeBeforeTheLoaderPathAndWheels()
    {
        var locations = CudaProbePlan.Default(CudaLibrary.Cublas).Locations.ToList();
        int loader = locations.IndexOf(CudaProbePlan.LoaderPath);
        Assert.Multiple(() =>
        {
            Assert.That(locations.IndexOf("/usr/local/cuda/lib64"), Is.InRange(0, loader - 1));
            Assert.That(locations.Skip(loader + 1), Is.EqualTo(CudaLibraryFolders.WheelFolders));
            Assert.That(CudaLibraryFolders.WheelFolders, Has.All.Contains("/nvidia/").And.All.EndsWith("/lib"));
        });
    }
}
