using Momentum.Specs;
using Momentum.Tests.Engine;

namespace Momentum.Tests.Specs;

/// <summary>
/// An optimizer's options record is the one home of its defaults: the spec with no arguments builds the same numbers as
/// the C# factory with <c>new XOptions()</c>.
/// </summary>
public class SpecDefaultsTests
{
    /// <summary>
    /// Every registered spec name whose arguments bind an options record, with the C# call it must equal. Names whose
    /// spec requires an argument (Optax requires <c>learning_rate</c>) give it the record's own value.
    /// </summary>
    private static readonly Dictionary<string, Func<GradientTransformation>> s_byRecord = new(StringComparer.Ordinal)
    {
        ["sgd"] = () => Optimizers.Sgd(new SgdOptions()),
        ["adam"] = () => Optimizers.Adam(new AdamOptions()),
        ["adamw"] = () => Optimizers.AdamW(new AdamWOptions()),
        ["rmsprop"] = () => Optimizers.RmsProp(new RmsPropOptions()),
        ["adagrad"] = () => Optimizers.Adagrad(new AdagradOptions()),
        ["adadelta"] = () => Optimizers.Adadelta(new AdadeltaOptions()),
        ["adamax"] = () => Optimizers.Adamax(new AdamaxOptions()),
        ["nadam"] = () => Optimizers.NAdam(new NAdamOptions()),
        ["radam"] = () => Optimizers.RAdam(new RAdamOptions()),
        ["rprop"] = () => Optimizers.Rprop(new RpropOptions()),
        ["asgd"] = () => Optimizers.Asgd(new AsgdOptions()),
        ["acprop"] = () => Optimizers.AcProp(new AcPropOptions()),
        ["adabelief"] = () => Optimizers.AdaBelief(new AdaBeliefOptions()),
        ["adafactor"] = () => Optimizers.Adafactor(new AdafactorOptions()),
        ["adamaxw"] = () => Optimizers.AdamaxW(new AdamaxWOptions()),
        ["adan"] = () => Optimizers.Adan(new AdanOptions()),
        ["amsgrad"] = () => Optimizers.Amsgrad(new AmsgradOptions()),
        ["fromage"] = () => Optimizers.Fromage(new FromageOptions()),
        ["lamb"] = () => Optimizers.Lamb(new LambOptions()),
        ["lars"] = () => Optimizers.Lars(new LarsOptions()),
        ["lion"] = () => Optimizers.Lion(new LionOptions()),
        ["nadamw"] = () => Optimizers.NAdamW(new OptaxAdamWOptions()),
        ["noisy_sgd"] = () => Optimizers.NoisySgd(new NoisySgdOptions()),
        ["novograd"] = () => Optimizers.Novograd(new NovogradOptions()),
        ["optimistic_gradient_descent"] = () => Optimizers.OptimisticGradientDescent(new OptimisticGradientDescentOptions()),
        ["optimistic_gd"] = () => Optimizers.OptimisticGradientDescent(new OptimisticGradientDescentOptions()),
        ["optimistic_adam"] = () => Optimizers.OptimisticAdam(new OptimisticAdamOptions()),
        ["optimistic_adam_v2"] = () => Optimizers.OptimisticAdam(new OptimisticAdamOptions()),
        ["polyak_sgd"] = () => Optimizers.PolyakSgd(new PolyakSgdOptions()),
        ["sign_sgd"] = () => Optimizers.SignSgd(new SignSgdOptions()),
        ["signum"] = () => Optimizers.Signum(new SignumOptions()),
        ["sm3"] = () => Optimizers.Sm3(new Sm3Options()),
        ["yogi"] = () => Optimizers.Yogi(new YogiOptions()),
        ["optax.sgd"] = () => Optimizers.OptaxSgd(new OptaxSgdOptions()),
        ["optax.adam"] = () => Optimizers.OptaxAdam(new OptaxAdamOptions()),
        ["optax.adamw"] = () => Optimizers.OptaxAdamW(new OptaxAdamWOptions()),
        ["optax.nadam"] = () => Optimizers.OptaxNAdam(new OptaxAdamOptions()),
        ["optax.radam"] = () => Optimizers.OptaxRadam(new OptaxRadamOptions()),
        ["optax.rmsprop"] = () => Optimizers.OptaxRmsProp(new OptaxRmsPropOptions()),
        ["optax.adagrad"] = () => Optimizers.OptaxAdagrad(new OptaxAdagradOptions()),
        ["optax.adadelta"] = () => Optimizers.OptaxAdadelta(new OptaxAdadeltaOptions()),
        ["optax.adamax"] = () => Optimizers.OptaxAdamax(new OptaxAdamaxOptions()),
        ["optax.rprop"] = () => Optimizers.OptaxRprop(new OptaxRpropOptions()),
        ["adopt"] = () => Optimizers.Adopt(new AdoptOptions()),
        ["ademamix"] = () => Optimizers.Ademamix(new AdemamixOptions()),
        ["simplified_ademamix"] = () => Optimizers.SimplifiedAdemamix(new SimplifiedAdemamixOptions()),
        ["schedule_free_sgd"] = () => Optimizers.ScheduleFreeSgd(new ScheduleFreeSgdOptions()),
        ["schedule_free_adamw"] = () => Optimizers.ScheduleFreeAdamW(new ScheduleFreeAdamWOptions()),
        ["dadapt_adamw"] = () => Optimizers.DAdaptAdamW(new DAdaptAdamWOptions()),
        ["prodigy"] = () => Optimizers.Prodigy(new ProdigyOptions()),
        ["muon"] = () => Optimizers.Muon(new MuonOptions()),
    };

    /// <summary>The arguments a spec cannot do without, given the record's own values.</summary>
    private static readonly Dictionary<string, string> s_requiredArguments = new(StringComparer.Ordinal)
    {
        ["adopt"] = $"learning_rate={Format(new AdoptOptions().LearningRate)}",
        ["ademamix"] = $"learning_rate={Format(new AdemamixOptions().LearningRate)}",
        ["simplified_ademamix"] = $"learning_rate={Format(new SimplifiedAdemamixOptions().LearningRate)}",
        ["muon"] = $"learning_rate={Format(new MuonOptions().LearningRate)}",
    };

    public static TheoryData<string> RecordNames => [.. s_byRecord.Keys.Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(RecordNames))]
    public void SpecWithoutArguments_StepsAsTheDefaultRecord(string name)
    {
        string spec = $"{name}({s_requiredArguments.GetValueOrDefault(name, "")})";
        var fromSpec = Run(SpecRegistry.Default.Create(spec));
        var fromRecord = Run(s_byRecord[name]());
        EngineTestData.AssertSameBits(fromRecord, fromSpec, spec);
    }

    /// <summary>Four steps on a matrix (Muon's path), a vector and a scalar; the loss is given for Polyak's step size.</summary>
    private static List<(string What, long Bits)> Run(GradientTransformation transformation)
    {
        var set = new ParameterSet();
        set.Add("matrix", 3, 4);
        set.Add("vector", 5);
        set.Add("scalar");
        foreach (var p in set)
        {
            var v = p.Values;
            for (int i = 0; i < v.Length; i++) v[i] = EngineTestData.Hash(p.Index, i, 0) * 2f;
        }
        var optimizer = new Optimizer(transformation, set);
        var gradients = new GradientSet(set);
        for (int step = 0; step < 4; step++)
        {
            EngineTestData.FillGradients(gradients, step);
            optimizer.Step(gradients, loss: 1.0 / (step + 1));
        }
        return EngineTestData.Snapshot(optimizer);
    }

    private static string Format(Schedule constant) => constant.Evaluate(0).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
