namespace Momentum;

/// <summary>The line search <see cref="LbfgsOptimizer"/> uses.</summary>
public enum LbfgsLineSearch
{
    /// <summary>No line search: every iteration steps by the learning rate along the L-BFGS direction (torch's <c>line_search_fn=None</c>).</summary>
    None,

    /// <summary>A line search satisfying the strong Wolfe conditions with c1 = 1e-4, c2 = 0.9 and at most 25 evaluations (torch's <c>"strong_wolfe"</c>).</summary>
    StrongWolfe,
}

/// <summary>The hyperparameters of <see cref="LbfgsOptimizer"/>, with torch.optim.LBFGS's names and defaults.</summary>
public sealed record LbfgsOptions
{
    /// <summary><c>lr</c>: the step length (default 1); the first iteration uses <c>min(1, 1/‖g‖₁)·lr</c>.</summary>
    public double LearningRate { get; init; } = 1;

    /// <summary><c>max_iter</c>: the most iterations per <see cref="LbfgsOptimizer.Step"/> (default 20).</summary>
    public int MaxIter { get; init; } = 20;

    /// <summary><c>max_eval</c>: the most closure evaluations per step; <see langword="null"/> means <c>max_iter·5/4</c> (integer division, torch's default).</summary>
    public int? MaxEval { get; init; }

    /// <summary><c>tolerance_grad</c>: stop when max |g| ≤ this (default 1e-7).</summary>
    public double ToleranceGrad { get; init; } = 1e-7;

    /// <summary><c>tolerance_change</c>: stop when the step or the loss change is below this (default 1e-9).</summary>
    public double ToleranceChange { get; init; } = 1e-9;

    /// <summary><c>history_size</c>: the number of curvature pairs kept (default 100).</summary>
    public int HistorySize { get; init; } = 100;

    /// <summary><c>line_search_fn</c>: none (default) or strong Wolfe.</summary>
    public LbfgsLineSearch LineSearch { get; init; }

    /// <summary>The evaluation budget actually used: <see cref="MaxEval"/> or <c>MaxIter·5/4</c>.</summary>
    public int EffectiveMaxEval => MaxEval ?? MaxIter * 5 / 4;

    internal void Validate()
    {
        if (!double.IsFinite(LearningRate) || LearningRate < 0) ThrowHelper.ThrowInvalid("lr", "learning rate", LearningRate);
        if (MaxIter < 1) ThrowHelper.ThrowArgumentOutOfRange("max_iter", MaxIter, "must be at least 1");
        if (EffectiveMaxEval < 1) ThrowHelper.ThrowArgumentOutOfRange("max_eval", EffectiveMaxEval, "must be at least 1");
        if (!double.IsFinite(ToleranceGrad) || ToleranceGrad < 0) ThrowHelper.ThrowArgumentOutOfRange("tolerance_grad", ToleranceGrad, "must be finite and >= 0");
        if (!double.IsFinite(ToleranceChange) || ToleranceChange < 0) ThrowHelper.ThrowArgumentOutOfRange("tolerance_change", ToleranceChange, "must be finite and >= 0");
        if (HistorySize < 1) ThrowHelper.ThrowArgumentOutOfRange("history_size", HistorySize, "must be at least 1");
        if (!Enum.IsDefined(LineSearch)) ThrowHelper.ThrowArgumentOutOfRange("line_search_fn", (int)LineSearch, "is not a defined line search");
    }
}

/// <summary>
/// L-BFGS (Liu and Nocedal, 1989, https://doi.org/10.1007/BF01589116; the two-loop recursion of Nocedal, 1980), as
/// torch.optim.LBFGS, for full-batch problems. It is not a chain of transformations: every iteration needs the loss and
/// gradient at new points, so a step takes a <em>closure</em> that evaluates them.
/// </summary>
/// <remarks>
/// <para>The parameters are treated as one flat vector (in parameter order); a parameter whose gradient the closure
/// leaves absent counts as a zero gradient, as in torch. Each <see cref="Step"/> runs up to <c>max_iter</c> iterations:
/// the direction is <c>d = −H·g</c> from the two-loop recursion over the last <c>history_size</c> pairs
/// <c>(s, y)</c> with <c>yᵀs &gt; 10⁻¹⁰</c>, scaled by <c>H₀ = yᵀs/yᵀy</c>; the step length is <c>min(1, 1/‖g‖₁)·lr</c>
/// on the very first iteration and <c>lr</c> after, refined by the strong-Wolfe line search (cubic interpolation and
/// zoom) when selected. It stops on max |g| ≤ tolerance_grad, a non-descent direction (gᵀd &gt; −tolerance_change),
/// max |t·d| ≤ tolerance_change, |Δloss| &lt; tolerance_change, or the iteration/evaluation budgets. The history,
/// direction and step carry over between steps, as torch's optimizer state does.</para>
/// <para>Numbers follow torch's float32 semantics: vectors are float32, dot products are summed in float32 in index
/// order (as the reference BLAS <c>sdot</c>), and the scalars torch keeps as 0-d float32 tensors (gᵀd, yᵀs, the
/// step length, the line search's interpolation) are float32 here; losses are doubles as torch's Python floats are.</para>
/// </remarks>
public sealed class LbfgsOptimizer
{
    private readonly GradientSet _gradients;
    private readonly float[] _al;
    private readonly List<float[]> _oldDirs = [];
    private readonly List<float[]> _oldSteps = [];
    private readonly List<float> _ro = [];
    private readonly Stack<float[]> _spare = new();
    private int _length = -1;
    private float[] _flatGrad = [], _prevFlatGrad = [], _d = [], _q = [], _xInit = [], _lsGrad = [], _lsPrevGrad = [], _lsLowGrad = [], _lsHighGrad = [];
    private float _t, _hDiag = 1;
    private double _prevLoss;

    /// <summary>Creates an L-BFGS optimizer over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters, updated in place by <see cref="Step"/>.</param>
    /// <param name="options">The hyperparameters; <see langword="null"/> uses torch's defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    public LbfgsOptimizer(ParameterSet parameters, LbfgsOptions? options = null)
    {
        Parameters = parameters ?? throw new ArgumentNullException(nameof(parameters));
        Options = options ?? new LbfgsOptions();
        Options.Validate();
        _gradients = new GradientSet(parameters);
        _al = new float[Options.HistorySize];
    }

    /// <summary>The parameters.</summary>
    public ParameterSet Parameters { get; }

    /// <summary>The hyperparameters.</summary>
    public LbfgsOptions Options { get; }

    /// <summary>Closure evaluations over all steps (torch's <c>state['func_evals']</c>).</summary>
    public int FunctionEvaluations { get; private set; }

    /// <summary>Iterations over all steps (torch's <c>state['n_iter']</c>).</summary>
    public int Iterations { get; private set; }

    /// <summary>
    /// Runs up to <c>max_iter</c> L-BFGS iterations (torch's <c>LBFGS.step(closure)</c>).
    /// </summary>
    /// <param name="closure">
    /// Evaluates the objective at the current parameter values: it must write the gradient of every parameter into the
    /// given set (one it leaves absent counts as zero) and return the loss. The set is cleared before each call.
    /// </param>
    /// <returns>The loss at the parameters the step started from (the closure's first value).</returns>
    /// <exception cref="InvalidOperationException">The total parameter length changed since the last step (call <see cref="Reset"/>).</exception>
    public double Step(Func<GradientSet, double> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        EnsureBuffers();
        var o = Options;
        double origLoss = Evaluate(closure, _flatGrad);
        double loss = origLoss;
        int currentEvals = 1;
        FunctionEvaluations++;
        if (MaxAbs(_flatGrad) <= (float)o.ToleranceGrad) return origLoss;

        int nIter = 0;
        while (nIter < o.MaxIter)
        {
            nIter++;
            Iterations++;
            if (Iterations == 1)
            {
                for (int i = 0; i < _length; i++) _d[i] = -_flatGrad[i];
                ClearHistory();
                _hDiag = 1;
            }
            else
            {
                UpdateDirection();
            }
            _flatGrad.CopyTo(_prevFlatGrad, 0);
            _prevLoss = loss;
            float reciprocal = 1f / Kernels.TorchSum.SumAbs(_flatGrad);
            _t = Iterations == 1 && reciprocal < 1f ? reciprocal * (float)o.LearningRate : (float)o.LearningRate;
            float gtd = Dot(_flatGrad, _d);
            if (gtd > (float)-o.ToleranceChange) break;

            int lsEvals = 0;
            bool optCond = false;
            if (o.LineSearch == LbfgsLineSearch.StrongWolfe)
            {
                Parameters.CopyTo(_xInit);
                (loss, _t, lsEvals) = StrongWolfe(closure, _t, loss, gtd);
                AddScaled(_t, _d);
                optCond = MaxAbs(_flatGrad) <= (float)o.ToleranceGrad;
            }
            else
            {
                AddScaled(_t, _d);
                if (nIter != o.MaxIter)
                {
                    loss = Evaluate(closure, _flatGrad);
                    optCond = MaxAbs(_flatGrad) <= (float)o.ToleranceGrad;
                    lsEvals = 1;
                }
            }
            currentEvals += lsEvals;
            FunctionEvaluations += lsEvals;

            if (nIter == o.MaxIter) break;
            if (currentEvals >= o.EffectiveMaxEval) break;
            if (optCond) break;
            if (MaxAbsScaled(_d, _t) <= (float)o.ToleranceChange) break;
            if (Math.Abs(loss - _prevLoss) < o.ToleranceChange) break;
        }
        return origLoss;
    }

    /// <summary>Forgets the history, direction and counters: the next step starts afresh, as a new torch optimizer would.</summary>
    public void Reset()
    {
        ClearHistory();
        Iterations = 0;
        FunctionEvaluations = 0;
        _hDiag = 1;
        _t = 0;
        _length = -1;
    }

    /// <summary>The two-loop recursion: d = −H·g with the newest pair (s = t·d, y = g − g_prev) added when yᵀs &gt; 10⁻¹⁰.</summary>
    private void UpdateDirection()
    {
        int n = _length;
        float[] y = _spare.Count > 0 ? _spare.Pop() : new float[n];
        float[] s = _spare.Count > 0 ? _spare.Pop() : new float[n];
        float t = _t;
        for (int i = 0; i < n; i++)
        {
            y[i] = _flatGrad[i] - _prevFlatGrad[i];
            s[i] = _d[i] * t;
        }
        float ys = Dot(y, s);
        if (ys > 1e-10f)
        {
            if (_oldDirs.Count == Options.HistorySize)
            {
                _spare.Push(_oldDirs[0]);
                _spare.Push(_oldSteps[0]);
                _oldDirs.RemoveAt(0);
                _oldSteps.RemoveAt(0);
                _ro.RemoveAt(0);
            }
            _oldDirs.Add(y);
            _oldSteps.Add(s);
            _ro.Add(1f / ys);
            _hDiag = ys / Dot(y, y);
        }
        else
        {
            _spare.Push(y);
            _spare.Push(s);
        }

        for (int i = 0; i < n; i++) _q[i] = -_flatGrad[i];
        for (int k = _oldDirs.Count - 1; k >= 0; k--)
        {
            _al[k] = Dot(_oldSteps[k], _q) * _ro[k];
            float a = -_al[k];
            var dir = _oldDirs[k];
            for (int i = 0; i < n; i++) _q[i] += a * dir[i];
        }
        float h = _hDiag;
        for (int i = 0; i < n; i++) _d[i] = _q[i] * h;
        for (int k = 0; k < _oldDirs.Count; k++)
        {
            float be = Dot(_oldDirs[k], _d) * _ro[k];
            float a = _al[k] - be;
            var step = _oldSteps[k];
            for (int i = 0; i < n; i++) _d[i] += a * step[i];
        }
    }

    /// <summary>torch's <c>_strong_wolfe</c> (c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9, 25 evaluations). Leaves the
    /// chosen point's gradient in <see cref="_flatGrad"/> and the parameters at x_init.</summary>
    private (double Loss, float T, int Evals) StrongWolfe(Func<GradientSet, double> closure, float t, double f, float gtd)
    {
        const float c1 = 1e-4f, c2 = 0.9f, toleranceChange = 1e-9f;
        const int maxLs = 25;
        float dNorm = MaxAbs(_d);
        // g (the start point's gradient) stays in _flatGrad until the end; g_new is evaluated into _lsGrad.
        double fNew = DirectionalEvaluate(closure, t, _lsGrad);
        int evals = 1;
        float gtdNew = Dot(_lsGrad, _d);
        float tPrev = 0, gtdPrev = gtd;
        double fPrev = f;
        _flatGrad.CopyTo(_lsPrevGrad, 0);
        bool done = false;
        int lsIter = 0;
        float[] bracket = new float[2], bracketGtd = new float[2];
        double[] bracketF = new double[2];
        int bracketCount = 0;
        // bracket gradients: index 0 → _lsLowGrad, index 1 → _lsHighGrad (swapped by reference as needed)
        float[][] bracketG = [_lsLowGrad, _lsHighGrad];
        while (lsIter < maxLs)
        {
            if ((float)fNew > (float)f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev))
            {
                SetBracket2(tPrev, fPrev, _lsPrevGrad, gtdPrev, t, fNew, _lsGrad, gtdNew);
                break;
            }
            if (MathF.Abs(gtdNew) <= -c2 * gtd)
            {
                bracket[0] = t;
                bracketF[0] = fNew;
                _lsGrad.CopyTo(bracketG[0], 0);
                bracketCount = 1;
                done = true;
                break;
            }
            if (gtdNew >= 0)
            {
                SetBracket2(tPrev, fPrev, _lsPrevGrad, gtdPrev, t, fNew, _lsGrad, gtdNew);
                break;
            }
            float minStep = t + 0.01f * (t - tPrev);
            float maxStep = t * 10f;
            float tmp = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            tPrev = tmp;
            fPrev = fNew;
            _lsGrad.CopyTo(_lsPrevGrad, 0);
            gtdPrev = gtdNew;
            fNew = DirectionalEvaluate(closure, t, _lsGrad);
            evals++;
            gtdNew = Dot(_lsGrad, _d);
            lsIter++;
        }
        if (lsIter == maxLs)
        {
            // torch: bracket = [0, t] with the start point and the last evaluation.
            SetBracket2(0, f, _flatGrad, gtd, t, fNew, _lsGrad, gtdNew);
        }

        bool insufficientProgress = false;
        int low = 0, high = 1;
        if (bracketCount == 2 && bracketF[0] > bracketF[1]) (low, high) = (1, 0);
        while (!done && lsIter < maxLs)
        {
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
            t = CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
            float bMax = MathF.Max(bracket[0], bracket[1]), bMin = MathF.Min(bracket[0], bracket[1]);
            float eps = 0.1f * (bMax - bMin);
            if (MathF.Min(bMax - t, t - bMin) < eps)
            {
                if (insufficientProgress || t >= bMax || t <= bMin)
                {
                    t = MathF.Abs(t - bMax) < MathF.Abs(t - bMin) ? bMax - eps : bMin + eps;
                    insufficientProgress = false;
                }
                else
                {
                    insufficientProgress = true;
                }
            }
            else
            {
                insufficientProgress = false;
            }
            fNew = DirectionalEvaluate(closure, t, _lsGrad);
            evals++;
            gtdNew = Dot(_lsGrad, _d);
            lsIter++;
            if ((float)fNew > (float)f + c1 * t * gtd || fNew >= bracketF[low])
            {
                bracket[high] = t;
                bracketF[high] = fNew;
                _lsGrad.CopyTo(bracketG[high], 0);
                bracketGtd[high] = gtdNew;
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (MathF.Abs(gtdNew) <= -c2 * gtd)
                {
                    done = true;
                }
                else if (gtdNew * (bracket[high] - bracket[low]) >= 0)
                {
                    bracket[high] = bracket[low];
                    bracketF[high] = bracketF[low];
                    bracketG[low].CopyTo(bracketG[high], 0);
                    bracketGtd[high] = bracketGtd[low];
                }
                bracket[low] = t;
                bracketF[low] = fNew;
                _lsGrad.CopyTo(bracketG[low], 0);
                bracketGtd[low] = gtdNew;
            }
        }
        bracketG[low].CopyTo(_flatGrad, 0);
        return (bracketF[low], bracket[low], evals);

        void SetBracket2(float t0, double f0, float[] g0, float gtd0, float t1, double f1, float[] g1, float gtd1)
        {
            bracket[0] = t0;
            bracketF[0] = f0;
            bracketGtd[0] = gtd0;
            bracket[1] = t1;
            bracketF[1] = f1;
            bracketGtd[1] = gtd1;
            g0.CopyTo(bracketG[0], 0);
            g1.CopyTo(bracketG[1], 0);
            bracketCount = 2;
        }
    }

    /// <summary>
    /// torch's <c>_cubic_interpolate</c>: the minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    /// clamped to the bounds (by default [min(x1, x2), max(x1, x2)]); the bounds' midpoint when the cubic has no minimum.
    /// Arithmetic in float32 as torch's 0-d tensors do; <c>3(f1 − f2)/(x1 − x2)</c> as torch evaluates a number divided by a tensor.
    /// </summary>
    internal static float CubicInterpolate(float x1, double f1, float g1, float x2, double f2, float g2, float? lowerBound = null, float? upperBound = null)
    {
        float lo, hi;
        if (lowerBound is { } l && upperBound is { } u) (lo, hi) = (l, u);
        else (lo, hi) = x1 <= x2 ? (x1, x2) : (x2, x1);
        float d1 = g1 + g2 - 1f / (x1 - x2) * (float)(3 * (f1 - f2));
        float d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0)
        {
            float d2 = MathF.Sqrt(d2Square);
            float minPos = x1 <= x2
                ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return MathF.Min(MathF.Max(minPos, lo), hi);
        }
        return (lo + hi) / 2;
    }

    /// <summary>Evaluates at x_init + t·d into <paramref name="gradient"/>, then restores x_init.</summary>
    private double DirectionalEvaluate(Func<GradientSet, double> closure, float t, float[] gradient)
    {
        AddScaled(t, _d);
        double loss = Evaluate(closure, gradient);
        Parameters.CopyFrom(_xInit);
        return loss;
    }

    private double Evaluate(Func<GradientSet, double> closure, float[] flatGradient)
    {
        _gradients.ClearAll();
        double loss = closure(_gradients);
        int offset = 0;
        foreach (var p in Parameters)
        {
            var destination = flatGradient.AsSpan(offset, p.Length);
            if (_gradients.HasGradient(p)) _gradients.Read(p).CopyTo(destination);
            else destination.Clear();
            offset += p.Length;
        }
        return loss;
    }

    /// <summary>θ ← θ + (float)t·d over the flat vector (torch's <c>_add_grad</c>).</summary>
    private void AddScaled(float a, float[] d)
    {
        int offset = 0;
        foreach (var p in Parameters)
        {
            var values = p.Values;
            for (int i = 0; i < values.Length; i++) values[i] += a * d[offset + i];
            offset += values.Length;
        }
    }

    private void EnsureBuffers()
    {
        long total = Parameters.ElementCount;
        if (total > Array.MaxLength) ThrowHelper.ThrowInvalidOperation("The parameters are too large for one flat L-BFGS vector.");
        int n = (int)total;
        if (n == _length) return;
        if (_length >= 0)
            ThrowHelper.ThrowInvalidOperation($"The parameters now have {n} elements, not {_length}; L-BFGS's history no longer fits. Call Reset() first.");
        _length = n;
        _flatGrad = new float[n];
        _prevFlatGrad = new float[n];
        _d = new float[n];
        _q = new float[n];
        _xInit = new float[n];
        _lsGrad = new float[n];
        _lsPrevGrad = new float[n];
        _lsLowGrad = new float[n];
        _lsHighGrad = new float[n];
        _spare.Clear();
    }

    private void ClearHistory()
    {
        foreach (var a in _oldDirs) _spare.Push(a);
        foreach (var a in _oldSteps) _spare.Push(a);
        _oldDirs.Clear();
        _oldSteps.Clear();
        _ro.Clear();
    }

    /// <summary>Σ a·b accumulated in float32 in index order, as the reference BLAS <c>sdot</c> torch calls.</summary>
    private static float Dot(float[] a, float[] b)
    {
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static float MaxAbs(float[] a)
    {
        float max = 0;
        foreach (float v in a) max = MathF.Max(max, MathF.Abs(v));
        return max;
    }

    private static float MaxAbsScaled(float[] a, float s)
    {
        float max = 0;
        foreach (float v in a) max = MathF.Max(max, MathF.Abs(v * s));
        return max;
    }
}

internal static class ParameterSetFlatExtensions
{
    /// <summary>Copies every parameter's values, in order, into <paramref name="destination"/>.</summary>
    internal static void CopyTo(this ParameterSet parameters, float[] destination)
    {
        int offset = 0;
        foreach (var p in parameters)
        {
            p.Values.CopyTo(destination.AsSpan(offset));
            offset += p.Length;
        }
    }

    /// <summary>Copies <paramref name="source"/> back into the parameters, in order.</summary>
    internal static void CopyFrom(this ParameterSet parameters, float[] source)
    {
        int offset = 0;
        foreach (var p in parameters)
        {
            source.AsSpan(offset, p.Length).CopyTo(p.Values);
            offset += p.Length;
        }
    }
}
