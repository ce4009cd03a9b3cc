using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Momentum.IO;
using Momentum.Specs;
using TorchSharp;
using static TorchSharp.torch;
using TorchParameter = TorchSharp.Modules.Parameter;

namespace Momentum.TorchSharp;

/// <summary>
/// A torch-like optimizer over TorchSharp parameters that runs any Momentum transformation, zero copy: every TorchSharp
/// parameter is re-pointed at a pinned Momentum array (<see cref="ParameterSet.AddPinned"/>) and its <c>grad</c> is a
/// tensor over the pinned gradient array that backward accumulates into, so a step reads and writes TorchSharp's
/// tensors in place, with no copy.
/// </summary>
/// <remarks>
/// <para>The loop is PyTorch's: <c>zero_grad()</c>, forward, <c>loss.backward()</c>, <c>step()</c>. Parameter names are
/// those of <c>named_parameters()</c>, so a spec's parameter groups select by them
/// (<c>adamw(lr=1e-3, groups=[group(params='*.bias', weight_decay=0)])</c>).</para>
/// <para>No gradient versus a zero gradient (PyTorch's <c>grad is None</c>): TorchSharp has no tensor hooks, so the
/// adapter tells them apart itself. <see cref="zero_grad"/> with <c>set_to_none: true</c> (the default, as in
/// PyTorch) fills every gradient buffer with negative zeros, the one value that backward's in-place sum leaves exactly
/// as it finds it (<c>-0 + g == g</c> bit for bit, for every float <c>g</c>, +0 included): a buffer that still holds
/// only negative zeros at <see cref="step"/> was not reached by backward, and the parameter has no gradient, as it
/// would have <c>grad == None</c> in PyTorch. So does a parameter that does not require grad (a frozen module), one
/// whose <c>grad</c> the caller set to null, and one marked with <see cref="SetNoGradient"/>. A parameter without a
/// gradient is skipped entirely (no weight decay, no moment decay, its count does not advance). With
/// <c>set_to_none: false</c> the buffers are filled with positive zeros and every parameter that requires grad has a
/// gradient, zero where backward did not reach, as PyTorch's <c>zero_grad(set_to_none=False)</c> gives. The one
/// case read differently from PyTorch: a parameter that backward reached with a gradient that is negative zero in
/// every element counts as not reached. A <c>grad</c> tensor the caller put in place of the adapter's (or one backward
/// made after the caller set it to null) is a gradient: it is copied into the adapter's buffer once and the adapter's
/// tensor attached again.</para>
/// <para>Only float32 CPU parameters are supported. The parameters must not be re-pointed elsewhere (<c>set_</c>) while
/// the optimizer is in use; in-place writes (<c>copy_</c>, <c>load_state_dict</c>) are fine. Row operations
/// (<see cref="Momentum.Optimizer.Rows(Parameter)"/> on <see cref="Optimizer"/>) re-point the TorchSharp parameter and
/// its <c>grad</c> at the new memory and shape.</para>
/// </remarks>
public sealed partial class TorchOptimizer
{
    private readonly Entry[] _entries;

    /// <summary>Builds the optimizer of a spec (<c>"adamw(lr=1e-3)"</c>) over a module's parameters.</summary>
    /// <param name="module">The module; its <c>named_parameters()</c> become Momentum parameters of the same names.</param>
    /// <param name="spec">A Momentum spec (<see cref="SpecRegistry.Default"/>).</param>
    /// <param name="options">Engine options; null for the defaults.</param>
    /// <exception cref="SpecException">The spec is malformed or names an unknown optimizer or argument.</exception>
    /// <exception cref="NotSupportedException">A parameter is not a float32 CPU tensor.</exception>
    public TorchOptimizer(nn.Module module, string spec, OptimizerOptions? options = null)
        : this(NamedParameters(module), SpecRegistry.Default.Create(spec ?? throw new ArgumentNullException(nameof(spec))), options)
    {
    }

    /// <summary>Builds an optimizer running <paramref name="transformation"/> over a module's parameters.</summary>
    /// <param name="module">The module; its <c>named_parameters()</c> become Momentum parameters of the same names.</param>
    /// <param name="transformation">Any Momentum optimizer or chain (<see cref="Optimizers"/>, <see cref="Transforms"/>).</param>
    /// <param name="options">Engine options; null for the defaults.</param>
    /// <exception cref="NotSupportedException">A parameter is not a float32 CPU tensor.</exception>
    public TorchOptimizer(nn.Module module, GradientTransformation transformation, OptimizerOptions? options = null)
        : this(NamedParameters(module), transformation, options)
    {
    }

    /// <summary>Builds an optimizer running <paramref name="transformation"/> over named TorchSharp parameters.</summary>
    /// <param name="parameters">The parameters with unique names (e.g. from <c>named_parameters()</c>).</param>
    /// <param name="transformation">Any Momentum optimizer or chain.</param>
    /// <param name="options">Engine options; null for the defaults.</param>
    /// <exception cref="ArgumentException">A name is empty or repeated.</exception>
    /// <exception cref="NotSupportedException">A parameter is not a float32 CPU tensor.</exception>
    public TorchOptimizer(IEnumerable<(string Name, TorchParameter Parameter)> parameters, GradientTransformation transformation, OptimizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(transformation);
        Parameters = new ParameterSet();
        var entries = new List<Entry>();
        foreach (var (name, tensor) in parameters)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(parameters));
            if (tensor.device_type != DeviceType.CPU || tensor.dtype != ScalarType.Float32)
                throw new NotSupportedException($"Parameter '{name}' is a {tensor.dtype} tensor on {tensor.device}; the adapter supports float32 CPU tensors.");
            int[] shape = Array.ConvertAll(tensor.shape, d => checked((int)d));
            float[] values;
            using (var contiguous = tensor.contiguous()) values = MemoryMarshal.Cast<byte, float>(contiguous.bytes).ToArray();
            var parameter = Parameters.AddPinned(name, shape, values, OnStorageChanged);
            entries.Add(new Entry(tensor, parameter));
        }
        _entries = [.. entries];
        Optimizer = new Optimizer(transformation, Parameters, options);
        Gradients = new GradientSet(Parameters);
        foreach (var entry in _entries)
        {
            PointValues(entry);
            PointGradient(entry);
            ClearGradient(entry, toNone: true); // as PyTorch starts: no gradient until backward reaches a parameter
        }
    }

    /// <summary>The Momentum parameters, one per TorchSharp parameter, in the same order and with the same names; their
    /// values are the TorchSharp parameters' memory.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>The Momentum optimizer: state, row operations, learning rates.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The gradients; each parameter's buffer is its TorchSharp <c>grad</c>'s memory.</summary>
    public GradientSet Gradients { get; }

    /// <summary>
    /// Clears every gradient for the next backward pass: fills each gradient buffer in place (backward accumulates into
    /// it) and attaches it again as the parameter's <c>grad</c> where the caller replaced or nulled it.
    /// </summary>
    /// <param name="set_to_none">true (PyTorch's default): a parameter that the next backward pass does not reach has
    /// no gradient at <see cref="step"/> (PyTorch's <c>grad == None</c>; the buffers are filled with negative zeros, see
    /// the remarks of <see cref="TorchOptimizer"/>). false: every parameter that requires grad has a gradient at
    /// <see cref="step"/>, zero where backward did not reach (PyTorch's <c>zero_grad(set_to_none=False)</c>).
    /// Either way the buffers stay attached (zero copy).</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "PyTorch's name.")]
    public void zero_grad(bool set_to_none = true)
    {
        foreach (var entry in _entries)
        {
            ClearGradient(entry, set_to_none);
            entry.NoGradient = false;
            if (!AttachedGradient(entry, out _)) PointGradient(entry); // a new step: backward accumulates into the buffer again
        }
    }

    /// <summary>Marks one parameter as having no gradient in the next step, whatever backward did (PyTorch's
    /// <c>p.grad = None</c> after backward).</summary>
    /// <param name="name">The parameter's name.</param>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public void SetNoGradient(string name) => _entries[Parameters[name].Index].NoGradient = true;

    /// <summary>Runs one optimizer step on the gradients backward accumulated since <see cref="zero_grad"/>.</summary>
    /// <param name="loss">The loss, for transformations that read it (<c>reduce_on_plateau</c>); NaN if unknown.</param>
    /// <returns>Whether the step was applied (false: skipped, e.g. non-finite gradients under
    /// <see cref="NonFiniteGradients.Skip"/>).</returns>
    /// <exception cref="NonFiniteGradientException">A gradient is not finite under <see cref="NonFiniteGradients.Throw"/>
    /// (the default); nothing changed.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "PyTorch's name.")]
    public bool step(double loss = double.NaN)
    {
        foreach (var entry in _entries)
        {
            var p = entry.Parameter;
            if (entry.NoGradient || !entry.Tensor.requires_grad)
            {
                Gradients.Clear(p);
                continue;
            }
            if (AttachedGradient(entry, out bool isNull))
            {
                if (entry.ClearedToNone && !Reached(Gradients.PinnedGradient(p).AsSpan(0, p.Length))) Gradients.Clear(p);
                else Gradients.GetForOverwrite(p); // the buffer already holds backward's sum: mark it present, keep it
                continue;
            }
            if (isNull)
            {
                Gradients.Clear(p);
                continue;
            }
            // A grad tensor of the caller's or of backward's own: copy it in once and attach the adapter's again.
            using (var foreign = entry.Tensor.grad!)
            using (var contiguous = foreign.contiguous())
                Gradients.Set(p, MemoryMarshal.Cast<byte, float>(contiguous.bytes));
            PointGradient(entry);
        }
        bool applied = Optimizer.Step(Gradients, loss);
        foreach (var entry in _entries) entry.NoGradient = false;
        return applied;
    }

    /// <summary>Saves parameters and optimizer state as a Momentum checkpoint (safetensors; <see cref="Checkpoint"/>).</summary>
    /// <param name="path">The file, written atomically.</param>
    public void Save(string path) => Checkpoint.Save(path, Optimizer);

    /// <summary>Restores parameters (into the TorchSharp tensors' memory) and optimizer state saved by
    /// <see cref="Save"/>; bit-exact on resume.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <exception cref="InvalidDataException">The file does not match this optimizer's parameters and state; nothing changed.</exception>
    public void Load(string path) => Checkpoint.Load(path, Optimizer);

    /// <summary>The TorchSharp parameter of a Momentum parameter of <see cref="Parameters"/>.</summary>
    /// <param name="parameter">A parameter of <see cref="Parameters"/>.</param>
    public TorchParameter TorchParameterOf(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!ReferenceEquals(parameter.Owner, Parameters)) throw new ArgumentException($"Parameter '{parameter.Name}' belongs to another parameter set.", nameof(parameter));
        return _entries[parameter.Index].Tensor;
    }

    private static IEnumerable<(string, TorchParameter)> NamedParameters(nn.Module module) =>
        (module ?? throw new ArgumentNullException(nameof(module))).named_parameters();

    private void OnStorageChanged(Parameter parameter, GradientSet? gradients)
    {
        if (_entries is null) return; // while the parameters are being added: nothing points there yet
        var entry = _entries[parameter.Index];
        if (gradients is null) PointValues(entry);
        else if (ReferenceEquals(gradients, Gradients)) PointGradient(entry);
    }

    /// <summary>Fills a parameter's gradient buffer with negative zeros (<paramref name="toNone"/>: backward's sum tells
    /// whether it reached the parameter) or positive zeros, and marks the parameter as having no gradient until
    /// <see cref="step"/> decides.</summary>
    private void ClearGradient(Entry entry, bool toNone)
    {
        var p = entry.Parameter;
        var buffer = Gradients.PinnedGradient(p).AsSpan(0, p.Length);
        if (toNone) buffer.Fill(-0f);
        else buffer.Clear();
        Gradients.Clear(p);
        entry.ClearedToNone = toNone;
    }

    /// <summary>Whether backward reached a buffer filled with negative zeros: some element's bits are no longer those of
    /// -0 (stops at the first such element, which for a reached parameter is almost always the first).</summary>
    private static bool Reached(ReadOnlySpan<float> buffer) =>
        MemoryMarshal.Cast<float, uint>(buffer).IndexOfAnyExcept(NegativeZeroBits) >= 0;

    private const uint NegativeZeroBits = 0x8000_0000u;

    /// <summary>Re-points the TorchSharp parameter at the pinned values (same Parameter object, new storage).</summary>
    private static void PointValues(Entry entry)
    {
        var p = entry.Parameter;
        using var _ = no_grad();
        using var view = View(p.PinnedArray, p);
        entry.Tensor.set_(view);
    }

    /// <summary>Attaches a tensor over the pinned gradient as the TorchSharp parameter's <c>grad</c>.</summary>
    private void PointGradient(Entry entry)
    {
        var p = entry.Parameter;
        var view = View(Gradients.PinnedGradient(p), p);
        entry.Tensor.grad = view;
        view.Dispose(); // the parameter holds its own reference to the tensor
        entry.GradientArray = Gradients.PinnedGradient(p);
    }

    /// <summary>Whether the parameter's grad is still the adapter's tensor; <paramref name="isNull"/>: it is null.</summary>
    private static bool AttachedGradient(Entry entry, out bool isNull)
    {
        using var grad = entry.Tensor.grad;
        isNull = grad is null;
        if (grad is null) return false;
        var array = entry.GradientArray!;
        int length = entry.Parameter.Length;
        if (grad.numel() != length || !grad.is_contiguous()) return false;
        if (length == 0) return true;
        return Unsafe.AreSame(ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, float>(grad.bytes)), ref array[0]);
    }

    private static Tensor View(float[] array, Parameter p)
    {
        long[] shape = Array.ConvertAll(p.Shape, d => (long)d);
        using var flat = frombuffer(array, ScalarType.Float32, count: p.Length);
        return flat.view(shape);
    }

    private sealed class Entry(TorchParameter tensor, Parameter parameter)
    {
        public TorchParameter Tensor { get; } = tensor;

        public Parameter Parameter { get; } = parameter;

        public float[]? GradientArray { get; set; }

        public bool NoGradient { get; set; }

        /// <summary>The buffer was last filled with negative zeros (<see cref="zero_grad"/> with set_to_none).</summary>
        public bool ClearedToNone { get; set; }
    }
}
