namespace SliceGpt.Native.Cuda;

/// <summary>A kernel launch shape: grid and block dimensions and dynamic shared memory.</summary>
/// <param name="GridX">Blocks along x.</param>
/// <param name="GridY">Blocks along y.</param>
/// <param name="GridZ">Blocks along z.</param>
/// <param name="BlockX">Threads per block along x.</param>
/// <param name="BlockY">Threads per block along y.</param>
/// <param name="BlockZ">Threads per block along z.</param>
/// <param name="SharedMemoryBytes">Dynamic shared memory per block.</param>
public readonly record struct LaunchGeometry(int GridX, int GridY, int GridZ, int BlockX, int BlockY, int BlockZ,
    int SharedMemoryBytes = 0)
{
    /// <summary>A 1-D grid of <paramref name="blocks"/> blocks of <paramref name="threads"/> threads.</summary>
    public static LaunchGeometry Linear(int blocks, int threads, int sharedMemoryBytes = 0) =>
        new(blocks, 1, 1, threads, 1, 1, sharedMemoryBytes);

    /// <summary>A 3-D grid of 1-D blocks.</summary>
    public static LaunchGeometry Grid(int x, int y, int z, int threads, int sharedMemoryBytes = 0) =>
        new(x, y, z, threads, 1, 1, sharedMemoryBytes);

    /// <summary>Total threads per block.</summary>
    public long ThreadsPerBlock => (long)BlockX * BlockY * BlockZ;

    /// <summary>True when some dimension is zero: nothing to launch.</summary>
    public bool IsEmpty => GridX == 0 || GridY == 0 || GridZ == 0;

    /// <summary>Throws unless <paramref name="device"/> can run this shape (checked in C#, before the driver sees it).</summary>
    public void Validate(CudaDeviceInfo device, string kernel)
    {
        if (GridX < 0 || GridY is < 0 or > 65535 || GridZ is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(GridX), $"{kernel}: grid ({GridX}, {GridY}, {GridZ}) is out of range (y and z at most 65535)");
        if (BlockX < 1 || BlockY < 1 || BlockZ < 1 || BlockZ > 64 || ThreadsPerBlock > device.MaxThreadsPerBlock)
            throw new ArgumentOutOfRangeException(nameof(BlockX), $"{kernel}: block ({BlockX}, {BlockY}, {BlockZ}) exceeds the device's {device.MaxThreadsPerBlock} threads per block or is empty");
        if (SharedMemoryBytes < 0 || SharedMemoryBytes > device.MaxSharedMemoryPerBlockOptin)
            throw new ArgumentOutOfRangeException(nameof(SharedMemoryBytes), $"{kernel}: {SharedMemoryBytes} bytes of shared memory exceed the device's {device.MaxSharedMemoryPerBlockOptin}");
    }
}
