namespace SliceGpt.Native.Cuda;

/// <summary>Which operand of cuSPARSELt's D = op(A)·op(B) holds the 2:4 structured weight.</summary>
public enum SparseLtOperand
{
    /// <summary>The weight is A (the left factor): D is Yᵀ, out × rows.</summary>
    A,
    /// <summary>The weight is B (the right factor): D is Y, rows × out.</summary>
    B,
}

/// <summary>The storage order a cuSPARSELt matrix descriptor states (cusparseOrder_t).</summary>
public enum SparseLtOrder
{
    /// <summary>Row-major: consecutive elements of a row are adjacent; the leading dimension counts columns.</summary>
    Row,
    /// <summary>Column-major: consecutive elements of a column are adjacent; the leading dimension counts rows.</summary>
    Column,
}

/// <summary>The operation cuSPARSELt applies to a described matrix (cusparseOperation_t).</summary>
public enum SparseLtOp
{
    /// <summary>As described.</summary>
    N,
    /// <summary>Transposed.</summary>
    T,
}

/// <summary>
/// How the linear layer Y[rows, out] = X[rows, in]·Wᵀ, with X and Y row-major as the engine stores activations, is posed
/// to cuSPARSELt as D = op(A)·op(B). The activations' memory is fixed; the rest is free, and each choice selects different
/// kernels (cuSPARSELt tunes some orders and ops more than others, and per architecture):
/// <list type="bullet">
/// <item><see cref="Structured"/>: the weight is A (D = Yᵀ = W·Xᵀ, read column-major) or B (D = Y = X·Wᵀ, row-major).</item>
/// <item><see cref="WeightOrder"/> and <see cref="ActivationOrder"/>: the order each descriptor states; with the memory
/// fixed, the order decides the op (a row-major X described column-major is Xᵀ, so it needs op T where op N would
/// otherwise do).</item>
/// <item><see cref="WeightTransposed"/>: the weight is stored [in, out] row-major (Wᵀ) instead of [out, in]. A weight is
/// compressed once, offline, so its layout costs nothing at inference.</item>
/// </list>
/// The output's order follows from <see cref="Structured"/> (Y row-major is Yᵀ column-major). Every layout computes the
/// same Y; <see cref="SparseLtProblem.For"/> derives the descriptors.
/// </summary>
/// <param name="Structured">The operand that holds the weight.</param>
/// <param name="WeightOrder">The order the weight's descriptor states.</param>
/// <param name="ActivationOrder">The order X's descriptor states.</param>
/// <param name="WeightTransposed">The weight is stored [in, out] (row-major Wᵀ) rather than [out, in].</param>
public readonly record struct SparseLtLayout(SparseLtOperand Structured, SparseLtOrder WeightOrder, SparseLtOrder ActivationOrder,
    bool WeightTransposed)
{
    /// <summary>
    /// The layout this binding used before layouts were configurable: the weight as A, every descriptor column-major,
    /// so A is the stored [out, in] weight read as in × out (op T) and B is X read as in × rows (op N): cuBLAS's "TN".
    /// </summary>
    public static SparseLtLayout ColumnMajorTN { get; } = new(SparseLtOperand.A, SparseLtOrder.Column, SparseLtOrder.Column, false);

    /// <summary>
    /// PyTorch's layout for <c>to_sparse_semi_structured</c> weights with the output transpose fused: the weight as A,
    /// row-major with op N; X described row-major with op T; D column-major (which is Y row-major).
    /// </summary>
    public static SparseLtLayout RowMajorWeightFirst { get; } = new(SparseLtOperand.A, SparseLtOrder.Row, SparseLtOrder.Row, false);

    /// <summary>The order of D (and C): column-major when the weight is A (D = Yᵀ), row-major when it is B (D = Y).</summary>
    public SparseLtOrder OutputOrder => Structured == SparseLtOperand.A ? SparseLtOrder.Column : SparseLtOrder.Row;

    /// <summary>All 16 layouts, weight-as-A first.</summary>
    public static IReadOnlyList<SparseLtLayout> All { get; } =
    [
        .. from s in new[] { SparseLtOperand.A, SparseLtOperand.B }
           from w in new[] { SparseLtOrder.Row, SparseLtOrder.Column }
           from x in new[] { SparseLtOrder.Row, SparseLtOrder.Column }
           from t in new[] { false, true }
           select new SparseLtLayout(s, w, x, t),
    ];

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a field is not a defined value (a cast integer, say).</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Structured))
            throw new ArgumentOutOfRangeException(nameof(Structured), Structured, "the structured operand must be A or B");
        if (!Enum.IsDefined(WeightOrder))
            throw new ArgumentOutOfRangeException(nameof(WeightOrder), WeightOrder, "not a storage order");
        if (!Enum.IsDefined(ActivationOrder))
            throw new ArgumentOutOfRangeException(nameof(ActivationOrder), ActivationOrder, "not a storage order");
    }

    /// <summary>
    /// A short stable name, e.g. <c>A=W(col,T) B=X(col,N) D(col)</c>: which operand holds the weight (W, or Wt when stored
    /// [in, out]) and which holds X, each with its descriptor's order and op, then D's order.
    /// </summary>
    public string Name
    {
        get
        {
            var p = SparseLtProblem.Describe(this);
            string weight = WeightTransposed ? "Wt" : "W";
            string Op(SparseLtOp op) => op == SparseLtOp.N ? "N" : "T";
            string Order(SparseLtOrder o) => o == SparseLtOrder.Row ? "row" : "col";
            return Structured == SparseLtOperand.A
                ? $"A={weight}({Order(WeightOrder)},{Op(p.OpA)}) B=X({Order(ActivationOrder)},{Op(p.OpB)}) D({Order(OutputOrder)})"
                : $"A=X({Order(ActivationOrder)},{Op(p.OpA)}) B={weight}({Order(WeightOrder)},{Op(p.OpB)}) D({Order(OutputOrder)})";
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>One matrix descriptor: the stored matrix's rows, columns, leading dimension and order.</summary>
/// <param name="Rows">Rows of the stored matrix (before its op).</param>
/// <param name="Cols">Columns of the stored matrix.</param>
/// <param name="Ld">Leading dimension: <paramref name="Cols"/> when row-major, <paramref name="Rows"/> when column-major (dense storage).</param>
/// <param name="Order">The storage order.</param>
public readonly record struct SparseLtMatrix(long Rows, long Cols, long Ld, SparseLtOrder Order);

/// <summary>
/// The cuSPARSELt problem of one linear layer under one <see cref="SparseLtLayout"/>: D[m, n] = op(A)[m, k]·op(B)[k, n] with
/// each descriptor. With the weight as A: m = out, n = rows; as B: m = rows, n = out; k = in either way.
/// </summary>
/// <param name="M">Rows of D.</param>
/// <param name="N">Columns of D.</param>
/// <param name="K">The reduction length (the layer's inputs, along which the weight is 2:4).</param>
/// <param name="OpA">The op applied to A.</param>
/// <param name="OpB">The op applied to B.</param>
/// <param name="A">A's descriptor.</param>
/// <param name="B">B's descriptor.</param>
/// <param name="C">C's and D's descriptor.</param>
/// <param name="Layout">The layout it came from.</param>
public sealed record SparseLtProblem(int M, int N, int K, SparseLtOp OpA, SparseLtOp OpB, SparseLtMatrix A, SparseLtMatrix B,
    SparseLtMatrix C, SparseLtLayout Layout)
{
    /// <summary>
    /// cuSPARSELt's 16-bit kernels need the structured matrix's dimensions in multiples of 16 and the dense operand's in
    /// multiples of 8 (the constraints PyTorch's semi-structured tensors check and pad to).
    /// </summary>
    public const int WeightMultiple = 16;

    /// <summary>The multiple the activation rows must be (a decode step's 1 row is padded to this by the caller).</summary>
    public const int RowMultiple = 8;

    /// <summary>The problem of Y[rows, out] = X[rows, in]·Wᵀ under <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentException">A dimension is not positive or not the multiple cuSPARSELt needs (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The layout holds an undefined value.</exception>
    public static SparseLtProblem For(int outFeatures, int inFeatures, int rows, SparseLtLayout layout)
    {
        layout.Validate();
        Require("outFeatures", outFeatures, WeightMultiple, "the weight's rows");
        Require("inFeatures", inFeatures, WeightMultiple, "the weight's columns (the 2:4 groups run along them)");
        Require("rows", rows, RowMultiple, "the activations' rows; pad a shorter batch");
        return Build(outFeatures, inFeatures, rows, layout);
    }

    // The ops of a layout do not depend on the sizes: describe it at a nominal shape (used for names).
    internal static SparseLtProblem Describe(SparseLtLayout layout) => Build(WeightMultiple, WeightMultiple, RowMultiple, layout);

    private static SparseLtProblem Build(int outFeatures, int inFeatures, int rows, SparseLtLayout layout)
    {
        bool weightIsA = layout.Structured == SparseLtOperand.A;
        // What each operand must be after its op: A = W (out × in) or X (rows × in); B = Xᵀ (in × rows) or Wᵀ (in × out).
        // A matrix stored row-major as R reads as R under row order and as Rᵀ under column order; its op is N when what it
        // reads as is what the product needs, T otherwise.
        var weightRowMajor = layout.WeightTransposed ? new Operand(inFeatures, outFeatures, true) : new Operand(outFeatures, inFeatures, false);
        var activationRowMajor = new Operand(rows, inFeatures, false);
        var weight = Stored(weightRowMajor, layout.WeightOrder);
        var activation = Stored(activationRowMajor, layout.ActivationOrder);
        var weightOp = weight.Transposed == !weightIsA ? SparseLtOp.N : SparseLtOp.T;         // A needs W, B needs Wᵀ
        var activationOp = activation.Transposed == weightIsA ? SparseLtOp.N : SparseLtOp.T;  // B needs Xᵀ, A needs X
        var c = new SparseLtMatrix(weightIsA ? outFeatures : rows, weightIsA ? rows : outFeatures, outFeatures, layout.OutputOrder);
        return weightIsA
            ? new SparseLtProblem(outFeatures, rows, inFeatures, weightOp, activationOp, weight.Descriptor, activation.Descriptor, c, layout)
            : new SparseLtProblem(rows, outFeatures, inFeatures, activationOp, weightOp, activation.Descriptor, weight.Descriptor, c, layout);
    }

    // A logical matrix (rows × cols of W, Wᵀ, X or Xᵀ; Transposed: it is the transpose of the named matrix).
    private readonly record struct Operand(long Rows, long Cols, bool Transposed);

    private readonly record struct StoredOperand(SparseLtMatrix Descriptor, bool Transposed);

    // Memory holding `rowMajor` row-major, described in `order`: row order sees it as is; column order sees its transpose.
    private static StoredOperand Stored(Operand rowMajor, SparseLtOrder order) => order == SparseLtOrder.Row
        ? new(new SparseLtMatrix(rowMajor.Rows, rowMajor.Cols, rowMajor.Cols, order), rowMajor.Transposed)
        : new(new SparseLtMatrix(rowMajor.Cols, rowMajor.Rows, rowMajor.Cols, order), !rowMajor.Transposed);

    private static void Require(string name, int value, int multiple, string what)
    {
        if (value <= 0 || value % multiple != 0)
            throw new ArgumentException($"{name} = {value} ({what}): cuSPARSELt needs a positive multiple of {multiple}", name);
    }
}
