namespace Momentum;

/// <summary>
/// A gradient transformation, after Optax: it turns incoming updates (at first the gradient) into outgoing updates,
/// in place, and keeps per-parameter state. Optimizers are chains of transformations, e.g. AdamW =
/// <c>scale_by_adam → add_decayed_weights → scale_by_learning_rate</c>; the optimizer adds the final updates to the
/// parameters. A transformation object holds only hyperparameters, never state, so one instance can serve many
/// optimizers.
/// </summary>
/// <remarks>
/// Concrete transformations derive from <see cref="ElementwiseTransformation"/> (each output element depends on the
/// same element of the inputs and state: these run fused, block by block, through the whole chain),
/// <see cref="ReducingTransformation"/> (element-wise after a reduction over its inputs, such as a norm), or
/// <see cref="TensorTransformation"/> (needs a parameter's whole update tensor at once). Combinators such as
/// <see cref="Transforms.Chain(GradientTransformation[])"/> expand into these primitives per parameter.
/// </remarks>
public abstract class GradientTransformation
{
    /// <summary>The transformation's name in Optax's vocabulary (e.g. <c>scale_by_adam</c>); used in state names.</summary>
    public abstract string Name { get; }

    /// <summary>Creates this transformation's state for one parameter, or returns <see langword="null"/> if it keeps none.</summary>
    /// <param name="parameter">The parameter; state tensors made with <see cref="TransformState.AddTensor"/> follow its rows.</param>
    /// <returns>The fresh state (moments zero, counts zero).</returns>
    public virtual TransformState? CreateState(Parameter parameter) => null;

    /// <summary>
    /// Called once per step for each parameter that has a gradient, before any of its elements are processed:
    /// advances counters and computes the step's scalars (bias corrections, learning rate) into the state.
    /// </summary>
    /// <param name="state">This transformation's state for the parameter (null if it keeps none).</param>
    /// <param name="step">The step being taken.</param>
    /// <remarks>It must not throw for a step that <see cref="ValidateStep"/> accepted: the engine has begun changing
    /// state by the time it runs, and a step is taken whole or not at all.</remarks>
    public virtual void BeginStep(TransformState? state, in StepInfo step)
    {
    }

    /// <summary>
    /// Checks that this step can be taken, before anything changes: evaluates what <see cref="BeginStep"/> will need
    /// (schedules at this step) and throws if it is not usable. Called for every parameter that has a gradient, for
    /// every stage, before any state is created or begun; it must change nothing.
    /// </summary>
    /// <param name="state">This transformation's state for the parameter, or null (it keeps none, or this is the
    /// parameter's first gradient and its state is not created yet: then it is as fresh state would be).</param>
    /// <param name="step">The step being taken.</param>
    /// <exception cref="ArithmeticException">A schedule's value at this step is NaN or ±∞; the step is refused and
    /// nothing changed.</exception>
    public virtual void ValidateStep(TransformState? state, in StepInfo step)
    {
    }

    /// <summary>
    /// Expands this transformation into primitive stages for <paramref name="parameter"/>. Primitives add themselves;
    /// combinators add their children (or nothing, for a parameter they leave alone).
    /// </summary>
    /// <param name="parameter">The parameter being planned.</param>
    /// <param name="path">This transformation's path in the tree of combinators (used to name state).</param>
    /// <param name="stages">The list to append to.</param>
    internal virtual void Expand(Parameter parameter, string path, List<Stage> stages) => stages.Add(new Stage(this, Join(path, Name)));

    /// <summary>Joins a parent path and a child name.</summary>
    internal static string Join(string path, string child) => path.Length == 0 ? child : path + "." + child;
}

/// <summary>A transformation whose output element i depends only on element i of the updates, parameters and state.</summary>
/// <remarks>The engine calls <see cref="Apply"/> on blocks small enough to stay in cache, possibly from several threads
/// at once on disjoint blocks; <see cref="Apply"/> must therefore only read the step's scalars from the state and touch
/// the state elements of its block.</remarks>
public abstract class ElementwiseTransformation : GradientTransformation
{
    /// <summary>Transforms one block of updates in place.</summary>
    /// <param name="state">This transformation's state for the block's parameter.</param>
    /// <param name="block">The updates, parameter values and element offset of the block.</param>
    public abstract void Apply(TransformState? state, in Block block);
}

/// <summary>What a <see cref="ReducingTransformation"/> reduces over.</summary>
public enum ReductionScope
{
    /// <summary>Each parameter's own updates (e.g. clipping each tensor by its norm).</summary>
    PerParameter,

    /// <summary>The updates of every parameter with a gradient that this transformation instance applies to (e.g. the global norm).</summary>
    AllParameters,
}

/// <summary>
/// An element-wise transformation that first needs a sum over its incoming updates (e.g. a squared norm). The engine
/// sums <see cref="Reduce"/> over fixed chunks in a fixed order, so the total is the same for any thread count, then
/// calls <see cref="Finish"/> before <see cref="ElementwiseTransformation.Apply"/>. At the head of a chain the sum is
/// taken over the raw gradients in a read-only pre-pass, keeping the rest of the chain fused.
/// </summary>
public abstract class ReducingTransformation : ElementwiseTransformation
{
    /// <summary>Whether the sum is per parameter or over all parameters.</summary>
    public abstract ReductionScope Scope { get; }

    /// <summary>Returns the partial sum for one chunk of incoming updates (by default the sum of squares, in double).</summary>
    /// <param name="updates">A chunk of the incoming updates.</param>
    public virtual double Reduce(ReadOnlySpan<float> updates) => Kernels.VectorMath.SumOfSquares(updates);

    /// <summary>Receives the total and stores what <see cref="ElementwiseTransformation.Apply"/> needs in the state.</summary>
    /// <param name="state">This transformation's state for one parameter.</param>
    /// <param name="total">The sum of <see cref="Reduce"/> over the scope.</param>
    /// <param name="step">The step being taken.</param>
    public abstract void Finish(TransformState? state, double total, in StepInfo step);
}

/// <summary>A transformation that needs a parameter's whole update tensor at once (e.g. a factored or orthogonalized update).</summary>
public abstract class TensorTransformation : GradientTransformation
{
    /// <summary>Transforms the updates of one parameter in place.</summary>
    /// <param name="state">This transformation's state for the parameter.</param>
    /// <param name="updates">The parameter's incoming updates, row-major, of its full length.</param>
    /// <param name="parameters">The parameter's values before this step's update.</param>
    /// <param name="step">The step being taken.</param>
    public abstract void Update(TransformState? state, Span<float> updates, ReadOnlySpan<float> parameters, in StepInfo step);
}

/// <summary>
/// A stage whose only per-step work is one scalar of the optimizer's step count (a learning rate, a decay). The engine
/// evaluates it once per step for every parameter at once, before any state changes (a value that is not finite
/// refuses the step), and hands the same value to the generic stage (<see cref="StoreStepValue"/>, in place of
/// <see cref="GradientTransformation.BeginStep"/>) and to the one-pass kernels: a parameter never runs with a value
/// that was not computed for this step.
/// </summary>
internal interface IStepValueTransformation
{
    /// <summary>This step's value as the stage applies it.</summary>
    /// <param name="step">The optimizer's step count.</param>
    /// <exception cref="ArithmeticException">The schedule's value is NaN or ±∞.</exception>
    float StepValue(long step);

    /// <summary>Stores this step's value into the stage's state, as <see cref="GradientTransformation.BeginStep"/> would.</summary>
    /// <param name="state">The stage's state for one parameter (null if it keeps none).</param>
    /// <param name="value">The value <see cref="StepValue"/> gave for this step.</param>
    void StoreStepValue(TransformState? state, float value);
}

/// <summary>
/// A reduction whose <see cref="ReducingTransformation.Finish"/> also needs the sum of squares of the parameter's values
/// before this step's update, as one <see cref="Kernels.VectorMath.SumOfSquares"/> over the whole tensor (a trust ratio's
/// ‖θ‖). When the reduction heads a later round of the materialized path, the engine computes that sum on the pool
/// during the round before, beside the round's segments, instead of serially in Finish on the stepping thread.
/// </summary>
internal interface IParameterSquaresReduction
{
    /// <summary>Does what <see cref="ReducingTransformation.Finish"/> does, with the parameter's sum of squares given.</summary>
    /// <param name="state">The reduction's state for one parameter.</param>
    /// <param name="total">The sum of <see cref="ReducingTransformation.Reduce"/> over the scope.</param>
    /// <param name="parameterSquares"><see cref="Kernels.VectorMath.SumOfSquares"/> of the parameter's values.</param>
    /// <param name="step">The step being taken.</param>
    void Finish(TransformState? state, double total, double parameterSquares, in StepInfo step);
}

/// <summary>One primitive transformation in a parameter's expanded chain, with its path for state names.</summary>
/// <param name="Transform">The primitive transformation.</param>
/// <param name="Path">Its path in the tree of combinators.</param>
internal readonly record struct Stage(GradientTransformation Transform, string Path);

/// <summary>A block of one parameter's elements, as given to <see cref="ElementwiseTransformation.Apply"/>.</summary>
public readonly ref struct Block
{
    internal Block(Span<float> updates, ReadOnlySpan<float> parameters, int offset)
    {
        Updates = updates;
        Parameters = parameters;
        Offset = offset;
    }

    /// <summary>The incoming updates of the block, to be transformed in place.</summary>
    public Span<float> Updates { get; }

    /// <summary>The parameter values of the block, before this step's update.</summary>
    public ReadOnlySpan<float> Parameters { get; }

    /// <summary>The offset of the block's first element in the parameter; state slices start here.</summary>
    public int Offset { get; }

    /// <summary>The number of elements in the block.</summary>
    public int Length => Updates.Length;
}

/// <summary>Describes the step being taken for one parameter.</summary>
public readonly struct StepInfo
{
    internal StepInfo(long step, Parameter parameter, double loss)
    {
        Step = step;
        Parameter = parameter;
        Loss = loss;
    }

    internal StepInfo(long step, Parameter parameter, double loss, ReadOnlyMemory<int> selectedRows)
        : this(step, parameter, loss)
    {
        SelectedRows = selectedRows;
        IsSelective = true;
    }

    /// <summary>The optimizer's step count before this step (0 on the first step): schedules are evaluated here.</summary>
    public long Step { get; }

    /// <summary>The parameter.</summary>
    public Parameter Parameter { get; }

    /// <summary>The loss passed to the step, or NaN if none was given (needed by e.g. Polyak step sizes).</summary>
    public double Loss { get; }

    /// <summary>
    /// Whether only some rows of the parameter take part in this step (<see cref="Optimizer.Step(GradientSet, RowSelection, double)"/>):
    /// then <see cref="SelectedRows"/> lists them, and the other rows' values and state must stay untouched.
    /// </summary>
    public bool IsSelective { get; }

    /// <summary>The rows taking part in a selective step, sorted and unique; empty when the step is not selective.</summary>
    public ReadOnlyMemory<int> SelectedRows { get; }
}
