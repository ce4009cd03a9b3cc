namespace Momentum;

/// <summary>
/// The gradients of one step: for each parameter of a <see cref="ParameterSet"/>, either a gradient tensor of the
/// parameter's shape or <em>no gradient</em>.
/// </summary>
/// <remarks>
/// No gradient and a zero gradient are different, as in PyTorch (<c>grad is None</c> versus <c>grad == 0</c>):
/// a parameter with no gradient is skipped entirely by a step (no weight decay, no moment decay, its step count does not
/// advance), while a zero gradient is a real step. Writing through <see cref="Get"/> or <see cref="Set"/> marks a
/// gradient present; <see cref="Clear(Parameter)"/> and <see cref="ClearAll"/> mark it absent (like
/// <c>zero_grad(set_to_none=True)</c>). A fresh set has no gradients. <see cref="Get"/> hands out zeros for a gradient
/// that was absent and the values so far for one that is present, so <c>+=</c> accumulates as torch's <c>.grad</c>
/// does; <see cref="GetForOverwrite"/> skips the zeroing for callers that write every element.
/// </remarks>
public sealed class GradientSet
{
    private RowBuffer?[] _buffers;
    private bool[] _present;
    private readonly Slabs _slabs = new(); // small parameters' buffers, in parameter order

    /// <summary>Creates an empty gradient set for <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters the gradients belong to.</param>
    public GradientSet(ParameterSet parameters)
    {
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        _buffers = new RowBuffer?[parameters.Count];
        _present = new bool[parameters.Count];
    }

    /// <summary>The parameters these gradients belong to.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>
    /// Returns the gradient of <paramref name="parameter"/> for writing (or accumulating with <c>+=</c>), and marks it
    /// present: zeros if it had no gradient (a fresh set, or after <see cref="Clear(Parameter)"/> or
    /// <see cref="ClearAll"/>), otherwise the values written so far this step.
    /// </summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="clear">Whether to zero the gradient even if it is present.</param>
    /// <returns>A span of the parameter's length.</returns>
    /// <remarks>Only the gradient handed out is zeroed, and only when it was absent; a caller that writes every element
    /// anyway can skip that with <see cref="GetForOverwrite"/>.</remarks>
    public Span<float> Get(Parameter parameter, bool clear = false)
    {
        var buffer = Buffer(parameter);
        ref bool present = ref _present[parameter.Index];
        if (clear || !present) buffer.Span.Clear();
        present = true;
        return buffer.Span;
    }

    /// <summary>
    /// Returns the gradient of <paramref name="parameter"/> for overwriting, and marks it present, without zeroing it:
    /// the span holds whatever was last written (after a clear, an earlier step's gradient), so the caller must write
    /// every element.
    /// </summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <returns>A span of the parameter's length.</returns>
    public Span<float> GetForOverwrite(Parameter parameter)
    {
        var buffer = Buffer(parameter);
        _present[parameter.Index] = true;
        return buffer.Span;
    }

    /// <summary>Copies <paramref name="gradient"/> in as the gradient of <paramref name="parameter"/>.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    /// <param name="gradient">The gradient, row-major, of the parameter's length.</param>
    /// <exception cref="ArgumentException">The length differs from the parameter's.</exception>
    public void Set(Parameter parameter, ReadOnlySpan<float> gradient)
    {
        var buffer = Buffer(parameter);
        if (gradient.Length != parameter.Length) ThrowHelper.ThrowLengthMismatch(nameof(gradient), parameter.Length, gradient.Length);
        gradient.CopyTo(buffer.Span);
        _present[parameter.Index] = true;
    }

    /// <summary>Whether <paramref name="parameter"/> has a gradient in this step.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public bool HasGradient(Parameter parameter)
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        return parameter.Index < _present.Length && _present[parameter.Index] && _buffers[parameter.Index]!.Length == parameter.Length;
    }

    /// <summary>The gradient of a parameter that has one, for reading.</summary>
    /// <param name="parameter">A parameter with a gradient.</param>
    /// <exception cref="InvalidOperationException">The parameter has no gradient.</exception>
    public ReadOnlySpan<float> Read(Parameter parameter)
    {
        if (!HasGradient(parameter)) ThrowHelper.ThrowInvalidOperation($"Parameter '{parameter.Name}' has no gradient.");
        return _buffers[parameter.Index]!.Span;
    }

    /// <summary>Marks <paramref name="parameter"/> as having no gradient; its next <see cref="Get"/> hands out zeros.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public void Clear(Parameter parameter)
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        if (parameter.Index < _present.Length) _present[parameter.Index] = false;
    }

    /// <summary>
    /// Marks every parameter as having no gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>); the next
    /// <see cref="Get"/> of each hands out zeros. Nothing is written now.
    /// </summary>
    public void ClearAll() => Array.Clear(_present);

    /// <summary>Zeroes every gradient and marks all present (PyTorch's <c>zero_grad(set_to_none=False)</c>).</summary>
    public void ZeroAll()
    {
        foreach (var p in Parameters) Get(p, clear: true);
    }

    /// <summary>
    /// The pinned array of a pinned parameter's gradient (<see cref="ParameterSet.AddPinned"/>), for another library to
    /// write into (e.g. a tensor over the same memory that backward accumulates into). Its first
    /// <see cref="Parameter.Length"/> elements are the gradient; they keep their address until a row operation grows
    /// the parameter past its capacity (the parameter's <see cref="PinnedStorageChanged"/> handler is then called with
    /// this set). Does not mark the gradient present: call <see cref="GetForOverwrite"/> for that (<see cref="Get"/> zeroes
    /// a gradient that was absent, which would discard what the other library wrote).
    /// </summary>
    /// <param name="parameter">A pinned parameter of <see cref="Parameters"/>.</param>
    /// <exception cref="InvalidOperationException">The parameter is not pinned.</exception>
    public float[] PinnedGradient(Parameter parameter)
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        if (!parameter.IsPinned) ThrowHelper.ThrowInvalidOperation($"Parameter '{parameter.Name}' is not pinned (add it with ParameterSet.AddPinned or AddExternal).");
        return Buffer(parameter).PinnedArray;
    }

    internal RowBuffer? BufferIfPresent(Parameter parameter) =>
        HasGradient(parameter) ? _buffers[parameter.Index] : null;

    /// <summary>
    /// The buffer of parameter <paramref name="index"/> if it is marked present, without checking its length against
    /// the parameter's (the engine does that whenever the buffer or <see cref="RowBuffer.LayoutVersion"/> changes).
    /// </summary>
    internal RowBuffer? MarkedBuffer(int index) => index < _present.Length && _present[index] ? _buffers[index] : null;

    /// <summary>Which parameters are marked present (by index; may be shorter than the parameter set).</summary>
    internal ReadOnlySpan<bool> Presence => _present;

    /// <summary>Changes whenever a buffer is created or the arrays grow (the engine may reuse what it found before).</summary>
    internal int BufferVersion { get; private set; }

    private RowBuffer Buffer(Parameter parameter)
    {
        Parameters.CheckOwns(parameter, nameof(parameter));
        int i = parameter.Index;
        if (i >= _buffers.Length)
        {
            Array.Resize(ref _buffers, Parameters.Count);
            Array.Resize(ref _present, Parameters.Count);
            BufferVersion++;
        }
        var buffer = _buffers[i];
        if (buffer is null)
        {
            // The first buffer makes those of every small parameter, in parameter order, whatever order the gradients
            // come in (a backward pass goes last to first): adjacent small gradients go through one kernel call.
            for (int j = 0; j < _buffers.Length; j++)
            {
                var p = Parameters[j];
                if (!p.IsPinned) _buffers[j] ??= _slabs.TryAllocate(p.Rows, p.RowLength, p.Rows);
            }
            buffer = _buffers[i] ??= NewBuffer(parameter);
            BufferVersion++;
        }
        else if (buffer.Rows != parameter.Rows) buffer.Resize(parameter.Rows);
        return buffer;
    }

    /// <summary>An unpacked buffer: pinned (telling the parameter's handler when it changes) for a pinned parameter.</summary>
    private RowBuffer NewBuffer(Parameter parameter)
    {
        if (parameter.Pinned is not { } pinned) return new RowBuffer(parameter.Rows, parameter.RowLength);
        return new RowBuffer(parameter.Rows, parameter.RowLength, null) { Changed = () => pinned.Changed?.Invoke(parameter, this) };
    }
}
